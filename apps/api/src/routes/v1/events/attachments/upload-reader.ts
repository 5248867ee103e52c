import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import {
  BadRequestProblem,
  type HttpProblem,
  PayloadTooLargeProblem,
  ValidationProblem,
} from '../../../../errors.js'

/** The name of the one part an upload holds. */
export const FILE_FIELD = 'file'

const FALLBACK_FILENAME = 'attachment'
const MAX_FILENAME_LENGTH = 255
const OCTET_STREAM = 'application/octet-stream'
// Controls, unpaired surrogates and the bidirectional formatting characters that can disguise an
// extension ("invoice‮fdp.exe" shown as "invoiceexe.pdf").
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cs}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu
// RFC 6838 type/subtype names; parameters are not kept.
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/

export interface Upload {
  filename: string
  contentType: string
  bytes: Buffer
  /** Lower-case hex. */
  sha256: string
}

/**
 * A file name as stored and served: no directories, no control or bidirectional formatting characters, no
 * leading dots, NFC, at most 255 characters (the extension kept); `attachment` when nothing is left.
 */
export function sanitizeFilename(raw: string | undefined): string {
  const base = (raw ?? '').normalize('NFC').split(/[\\/]/).pop() ?? ''
  const cleaned = base.replace(UNSAFE_CHARACTERS, '').trim().replace(/^\.+/, '').trim()
  const characters = [...cleaned]
  if (characters.length === 0) return FALLBACK_FILENAME
  if (characters.length <= MAX_FILENAME_LENGTH) return cleaned
  const dot = cleaned.lastIndexOf('.')
  const extension = dot > 0 ? [...cleaned.slice(dot)] : []
  const keep = extension.length > 0 && extension.length <= 16 ? extension : []
  return [...characters.slice(0, MAX_FILENAME_LENGTH - keep.length), ...keep].join('')
}

/** The part's `type/subtype`, lower-case; `application/octet-stream` when it is not a valid one. */
export function normalizeContentType(raw: string | undefined): string {
  const value = (raw ?? '').trim().toLowerCase()
  return MEDIA_TYPE.test(value) ? value : OCTET_STREAM
}

/**
 * Reads a `multipart/form-data` upload that must hold exactly one file part named `file`. Every part is read
 * to its end before the request is refused, so that the client receives the answer rather than a reset
 * connection; at most `maxBytes` of the file are kept in memory. Refuses with 400 (a missing, repeated or
 * unexpected part, a malformed body) or 413 (a file larger than `maxBytes`).
 */
export async function readUpload(request: FastifyRequest, maxBytes: number): Promise<Upload> {
  let upload: Upload | undefined
  let refusal: HttpProblem | undefined
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        refusal ??=
          part.fieldname === FILE_FIELD
            ? ValidationProblem.at('/body/file', 'must be a file (a part with a filename)')
            : unknownPart(part.fieldname)
        continue
      }
      if (part.fieldname !== FILE_FIELD || upload !== undefined || refusal !== undefined) {
        await drain(part.file)
        refusal ??=
          part.fieldname === FILE_FIELD
            ? ValidationProblem.at('/body/file', 'must be sent once')
            : unknownPart(part.fieldname)
        continue
      }
      const { bytes, sha256 } = await readAtMost(part.file, maxBytes)
      if (part.file.truncated) {
        refusal = new PayloadTooLargeProblem(`The file is larger than the limit of ${maxBytes} bytes`)
        continue
      }
      upload = {
        filename: sanitizeFilename(part.filename),
        contentType: normalizeContentType(part.mimetype),
        bytes,
        sha256,
      }
    }
  } catch (error) {
    throw refusal ?? problemOf(error)
  }
  if (refusal) throw refusal
  if (upload === undefined) {
    throw ValidationProblem.at(
      '/body/file',
      'is required: send the file as a multipart/form-data part named "file", with a filename',
    )
  }
  return upload
}

function unknownPart(name: string): ValidationProblem {
  return ValidationProblem.at(`/body/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, 'is not a known part')
}

// Busboy stops passing data on once the limit is reached but ends the stream with the part, so reading to
// the end drains the rest of the part.
async function readAtMost(stream: Readable, maxBytes: number): Promise<{ bytes: Buffer; sha256: string }> {
  const chunks: Buffer[] = []
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of stream) {
    const data = chunk as Buffer
    size += data.length
    if (size > maxBytes) continue
    chunks.push(data)
    hash.update(data)
  }
  return { bytes: Buffer.concat(chunks), sha256: hash.digest('hex') }
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream) {
    // discarded
  }
}

/** What the multipart parser's own refusals mean for the client. */
function problemOf(error: unknown): HttpProblem {
  const code = (error as { code?: unknown } | null)?.code
  switch (code) {
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return ValidationProblem.at('/body', 'must hold exactly one part, a file named "file"')
    case 'FST_PROTO_VIOLATION':
      return ValidationProblem.at('/body', 'has a part with a reserved name')
    default:
      return new BadRequestProblem('The multipart/form-data body is malformed or was cut short')
  }
}
