import { randomBytes } from 'node:crypto'

export interface Part {
  name: string
  /** Present: a file part. */
  filename?: string
  contentType?: string
  data: Buffer | string
}

/** A `multipart/form-data` body built byte by byte, so that tests control every header of every part. */
export function multipartBody(parts: Part[]): { payload: Buffer; headers: { 'content-type': string } } {
  const boundary = `----test${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    const disposition = [`form-data; name="${part.name}"`]
    if (part.filename !== undefined) disposition.push(`filename="${part.filename}"`)
    const headers = [`Content-Disposition: ${disposition.join('; ')}`]
    if (part.contentType !== undefined) headers.push(`Content-Type: ${part.contentType}`)
    chunks.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8'))
    chunks.push(typeof part.data === 'string' ? Buffer.from(part.data, 'utf8') : part.data)
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  }
}

/** A body with one file part named `file`. */
export function fileUpload(
  data: Buffer | string,
  filename = 'minutes.txt',
  contentType = 'text/plain',
): ReturnType<typeof multipartBody> {
  return multipartBody([{ name: 'file', filename, contentType, data }])
}
