import type { AttachmentResource } from '@scheduler/contract'
import t from 'tap'
import { anEvent, bearer, build, seedEvent } from '../../../../helper.js'

// Over a real socket (not app.inject): a refused upload still reaches the client as an answer.
t.test('uploads over HTTP', async (t) => {
  const app = await build(t, { ATTACHMENT_MAX_BYTES: '4096' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const event = await seedEvent(app, anEvent())
  const url = `http://127.0.0.1:${port}/v1/events/${event.id}/attachments`

  const post = (file: Blob, filename: string) => {
    const form = new FormData()
    form.append('file', file, filename)
    return fetch(url, { method: 'POST', headers: bearer(), body: form })
  }

  // Just over the limit (read to its end, then refused) and far over it (refused by its declared length).
  for (const size of [4097, 2_000_000]) {
    const response = await post(new Blob([Buffer.alloc(size, 1)], { type: 'application/pdf' }), 'big.pdf')
    t.equal(response.status, 413, `${size} bytes`)
    t.match(await response.json(), { status: 413, detail: 'The file is larger than the limit of 4096 bytes' })
  }

  const created = await post(new Blob(['héllo ☃'], { type: 'text/plain' }), 'naïve ☃.txt')
  t.equal(created.status, 201)
  const attachment = (await created.json()) as AttachmentResource
  t.equal(attachment.filename, 'naïve ☃.txt', 'a UTF-8 file name as a browser sends it')

  const got = await fetch(`${url}/${attachment.id}`, { headers: bearer() })
  t.equal(got.status, 200)
  t.equal(await got.text(), 'héllo ☃')
  t.equal(
    got.headers.get('content-disposition'),
    `attachment; filename="naive _.txt"; filename*=UTF-8''na%C3%AFve%20%E2%98%83.txt`,
  )
  const listed = await fetch(url, { headers: bearer() })
  t.equal(((await listed.json()) as { items: unknown[] }).items.length, 1, 'only the accepted file is stored')
})
