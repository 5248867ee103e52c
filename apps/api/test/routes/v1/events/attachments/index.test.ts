import { createHash, randomBytes } from 'node:crypto'
import type { AttachmentListResource, AttachmentResource, ProblemResource } from '@scheduler/contract'
import { type JobRecord, newId } from '@scheduler/core'
import t from 'tap'
import { type App, anEvent, bearer, build, seedEvent } from '../../../../helper.js'
import { fileUpload, multipartBody } from './multipart-body.js'

const MAX_BYTES = 4096

const writer = () => bearer({ scopes: ['events:write'] })
const reader = () => bearer({ scopes: ['events:read'] })

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

async function upload(
  app: App,
  eventId: string,
  body: ReturnType<typeof multipartBody>,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: `/v1/events/${eventId}/attachments`,
    headers: { ...writer(), ...body.headers, ...headers },
    payload: body.payload,
  })
}

async function list(app: App, eventId: string) {
  return app.inject({ method: 'GET', url: `/v1/events/${eventId}/attachments`, headers: reader() })
}

async function download(app: App, eventId: string, attachmentId: string) {
  return app.inject({
    method: 'GET',
    url: `/v1/events/${eventId}/attachments/${attachmentId}`,
    headers: reader(),
  })
}

/** Deletes the event as the placement worker would: a plan whose `deletions` name it. */
async function deleteEventThroughPlan(app: App, eventId: string): Promise<void> {
  const now = Date.now()
  const job: JobRecord = {
    id: newId('job'),
    calendarId: 'default',
    type: 'delete',
    eventId,
    state: 'queued',
    payload: { type: 'delete' },
    outcome: null,
    error: null,
    createdAt: now,
    finishedAt: null,
  }
  await app.store.submit({ calendarId: 'default', job })
  await app.store.applyPlan({
    calendarId: 'default',
    jobId: job.id,
    upserts: [],
    deletions: [eventId],
    job: { state: 'completed', outcome: { displaced: [] }, error: null, finishedAt: now },
    messages: [],
  })
}

t.test('attachments', async (t) => {
  const app = await build(t, { ATTACHMENT_MAX_BYTES: String(MAX_BYTES), BODY_LIMIT_BYTES: '2048' })

  t.test('upload, list, download: the same bytes, hash and headers', async (t) => {
    const event = await seedEvent(app, anEvent())
    const text = 'Minutes of the board sync\n'
    const binary = randomBytes(3000)

    const first = await upload(app, event.id, fileUpload(text, 'minutes.txt', 'text/plain'))
    t.equal(first.statusCode, 201, first.body)
    const created = first.json<AttachmentResource>()
    t.match(created, {
      id: /^att_/,
      filename: 'minutes.txt',
      contentType: 'text/plain',
      size: Buffer.byteLength(text),
      sha256: sha256(text),
      createdAt: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    })
    t.strictSame(Object.keys(created).sort(), [
      'contentType',
      'createdAt',
      'filename',
      'id',
      'sha256',
      'size',
    ])
    t.equal(first.headers.location, `/v1/events/${event.id}/attachments/${created.id}`)
    t.equal(first.headers['cache-control'], 'no-store')

    // More than BODY_LIMIT_BYTES (2048): the JSON limit does not cap uploads.
    const second = await upload(app, event.id, fileUpload(binary, 'scan.png', 'image/png'))
    t.equal(second.statusCode, 201, second.body)
    const scan = second.json<AttachmentResource>()
    t.match(scan, { filename: 'scan.png', contentType: 'image/png', size: 3000, sha256: sha256(binary) })

    const listed = await list(app, event.id)
    t.equal(listed.statusCode, 200)
    t.strictSame(listed.json<AttachmentListResource>(), { items: [created, scan] })

    const got = await download(app, event.id, scan.id)
    t.equal(got.statusCode, 200)
    t.ok(got.rawPayload.equals(binary), 'the bytes uploaded')
    t.equal(sha256(got.rawPayload), scan.sha256)
    t.equal(got.headers['content-type'], 'image/png')
    t.equal(got.headers['content-length'], '3000')
    t.equal(got.headers['content-disposition'], 'attachment; filename="scan.png"')
    t.equal(got.headers['cache-control'], 'no-store')
    t.equal(got.headers['x-content-type-options'], 'nosniff')
    t.equal(got.headers['content-security-policy'], "default-src 'none'; sandbox")
    t.equal(got.headers['repr-digest'], `sha-256=:${Buffer.from(scan.sha256, 'hex').toString('base64')}:`)

    const minutes = await download(app, event.id, created.id)
    t.equal(minutes.body, text)
    t.match(minutes.headers['content-type'], /^text\/plain/)
  })

  t.test('file names: kept exactly when safe, sanitized otherwise, RFC 6266 for non-ASCII', async (t) => {
    const event = await seedEvent(app, anEvent())
    const cases: [sent: string, stored: string, disposition: string][] = [
      [
        'Résumé “final” 2026.pdf',
        'Résumé “final” 2026.pdf',
        `attachment; filename="Resume _final_ 2026.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%80%9Cfinal%E2%80%9D%202026.pdf`,
      ],
      ['../../etc/passwd', 'passwd', 'attachment; filename="passwd"'],
      ['C:\\fakepath\\report.pdf', 'report.pdf', 'attachment; filename="report.pdf"'],
      ['invoice\u202efdp.exe', 'invoicefdp.exe', 'attachment; filename="invoicefdp.exe"'],
      [
        '100% (final).txt',
        '100% (final).txt',
        `attachment; filename="100_ (final).txt"; filename*=UTF-8''100%25%20%28final%29.txt`,
      ],
      ['..', 'attachment', 'attachment; filename="attachment"'],
    ]
    for (const [sent, stored, disposition] of cases) {
      const response = await upload(app, event.id, fileUpload('x', sent, 'text/plain'))
      t.equal(response.statusCode, 201, `${sent}: ${response.body}`)
      const attachment = response.json<AttachmentResource>()
      t.equal(attachment.filename, stored, `${sent} is stored as ${stored}`)
      const got = await download(app, event.id, attachment.id)
      t.equal(got.headers['content-disposition'], disposition, `${sent}: Content-Disposition`)
    }
  })

  t.test(
    'content types: a usable one kept (lower-case), anything else application/octet-stream',
    async (t) => {
      const event = await seedEvent(app, anEvent())
      const cases: [sent: string | undefined, stored: string][] = [
        ['Application/PDF', 'application/pdf'],
        ['text/csv; charset=utf-8', 'text/csv'],
        ['application/octet-stream', 'application/octet-stream'],
        ['not a type', 'application/octet-stream'],
      ]
      for (const [sent, stored] of cases) {
        const body = multipartBody([
          {
            name: 'file',
            filename: 'data.bin',
            ...(sent === undefined ? {} : { contentType: sent }),
            data: 'x',
          },
        ])
        const response = await upload(app, event.id, body)
        t.equal(response.statusCode, 201, response.body)
        t.equal(response.json<AttachmentResource>().contentType, stored, `${sent} → ${stored}`)
      }
    },
  )

  t.test('an empty file is a file', async (t) => {
    const event = await seedEvent(app, anEvent())
    const response = await upload(app, event.id, fileUpload('', 'empty.txt'))
    t.equal(response.statusCode, 201, response.body)
    const attachment = response.json<AttachmentResource>()
    t.match(attachment, { size: 0, sha256: sha256('') })
    const got = await download(app, event.id, attachment.id)
    t.equal(got.statusCode, 200)
    t.equal(got.headers['content-length'], '0')
  })

  t.test('larger than ATTACHMENT_MAX_BYTES: 413 and nothing stored', async (t) => {
    const event = await seedEvent(app, anEvent())
    const exactly = await upload(app, event.id, fileUpload(randomBytes(MAX_BYTES), 'max.bin'))
    t.equal(exactly.statusCode, 201, 'exactly the limit is accepted')

    const tooLarge = await upload(app, event.id, fileUpload(randomBytes(MAX_BYTES + 1), 'big.bin'))
    t.equal(tooLarge.statusCode, 413)
    t.match(tooLarge.headers['content-type'], /^application\/problem\+json/)
    t.match(tooLarge.json<ProblemResource>(), {
      status: 413,
      title: 'Payload too large',
      detail: `The file is larger than the limit of ${MAX_BYTES} bytes`,
    })

    const declared = await app.inject({
      method: 'POST',
      url: `/v1/events/${event.id}/attachments`,
      headers: {
        ...writer(),
        ...fileUpload('x').headers,
        'content-length': String(MAX_BYTES + 70 * 1024),
      },
      payload: Buffer.alloc(MAX_BYTES + 70 * 1024),
    })
    t.equal(declared.statusCode, 413, 'a declared length beyond the limit is refused unread')

    const items = (await list(app, event.id)).json<AttachmentListResource>().items
    t.equal(items.length, 1, 'only the one within the limit is stored')
    t.equal(items[0]?.filename, 'max.bin')
  })

  t.test('unknown event: 404 for every operation', async (t) => {
    for (const response of [
      await upload(app, 'evt_unknown', fileUpload('x')),
      await list(app, 'evt_unknown'),
      await download(app, 'evt_unknown', 'att_unknown'),
      await app.inject({
        method: 'DELETE',
        url: '/v1/events/evt_unknown/attachments/att_unknown',
        headers: writer(),
      }),
    ]) {
      t.equal(response.statusCode, 404, response.body)
      t.match(response.headers['content-type'], /^application\/problem\+json/)
    }
  })

  t.test('a body without exactly one file part named "file" is a 400', async (t) => {
    const event = await seedEvent(app, anEvent())
    const cases: [string, ReturnType<typeof multipartBody>, string][] = [
      ['no part at all', multipartBody([]), '/body/file'],
      ['only a field', multipartBody([{ name: 'note', data: 'hello' }]), '/body/note'],
      [
        'the file under another name',
        multipartBody([{ name: 'upload', filename: 'a.txt', contentType: 'text/plain', data: 'x' }]),
        '/body/upload',
      ],
      ['"file" as a plain field', multipartBody([{ name: 'file', data: 'not a file' }]), '/body/file'],
      [
        'two files',
        multipartBody([
          { name: 'file', filename: 'a.txt', contentType: 'text/plain', data: 'a' },
          { name: 'file', filename: 'b.txt', contentType: 'text/plain', data: 'b' },
        ]),
        '/body/file',
      ],
      [
        'a file and a field',
        multipartBody([
          { name: 'file', filename: 'a.txt', contentType: 'text/plain', data: 'a' },
          { name: 'title', data: 'extra' },
        ]),
        '/body/title',
      ],
    ]
    for (const [name, body, path] of cases) {
      const response = await upload(app, event.id, body)
      t.equal(response.statusCode, 400, `${name}: ${response.body}`)
      t.match(response.json<ProblemResource>(), { status: 400, errors: [{ path }] }, name)
    }

    const malformed = await upload(app, event.id, {
      payload: Buffer.from('--nope\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc'),
      headers: { 'content-type': 'multipart/form-data; boundary=nope' },
    })
    t.equal(malformed.statusCode, 400, 'a body cut short')
    const noBoundary = await upload(app, event.id, {
      payload: Buffer.from('abc'),
      headers: { 'content-type': 'multipart/form-data' },
    })
    t.equal(noBoundary.statusCode, 400, 'no boundary')
    t.strictSame((await list(app, event.id)).json<AttachmentListResource>().items, [], 'nothing stored')
  })

  t.test('a body that is not multipart/form-data is a 415', async (t) => {
    const event = await seedEvent(app, anEvent())
    const url = `/v1/events/${event.id}/attachments`
    const cases: [string, Record<string, string>, string | undefined][] = [
      ['JSON', { 'content-type': 'application/json' }, '{"file":"x"}'],
      ['text', { 'content-type': 'text/plain' }, 'hello'],
      ['octet-stream', { 'content-type': 'application/octet-stream' }, 'hello'],
      ['nothing', {}, undefined],
    ]
    for (const [name, headers, payload] of cases) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: { ...writer(), ...headers },
        ...(payload === undefined ? {} : { payload }),
      })
      t.equal(response.statusCode, 415, `${name}: ${response.body}`)
      t.match(response.json<ProblemResource>(), { status: 415, detail: /multipart\/form-data/ })
    }
  })

  t.test('other routes still refuse a multipart body with 415', async (t) => {
    const body = multipartBody([{ name: 'title', data: 'Board sync' }])
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...writer(), ...body.headers },
      payload: body.payload,
    })
    t.equal(response.statusCode, 415)
  })

  t.test('scopes: events:write to upload and delete, events:read to read', async (t) => {
    const event = await seedEvent(app, anEvent())
    const stored = (await upload(app, event.id, fileUpload('x'))).json<AttachmentResource>()
    const url = `/v1/events/${event.id}/attachments`
    const body = fileUpload('y')

    const unauthenticated = await app.inject({
      method: 'POST',
      url,
      headers: body.headers,
      payload: body.payload,
    })
    t.equal(unauthenticated.statusCode, 401)
    const readOnly = await app.inject({
      method: 'POST',
      url,
      headers: { ...reader(), ...body.headers },
      payload: body.payload,
    })
    t.equal(readOnly.statusCode, 403)
    t.match(readOnly.headers['www-authenticate'], /insufficient_scope/)
    const deleteReadOnly = await app.inject({
      method: 'DELETE',
      url: `${url}/${stored.id}`,
      headers: reader(),
    })
    t.equal(deleteReadOnly.statusCode, 403)
    const writeOnly = bearer({ scopes: ['events:write'] })
    t.equal((await app.inject({ method: 'GET', url, headers: writeOnly })).statusCode, 403, 'list')
    t.equal(
      (await app.inject({ method: 'GET', url: `${url}/${stored.id}`, headers: writeOnly })).statusCode,
      403,
      'download',
    )
    t.equal((await list(app, event.id)).json<AttachmentListResource>().items.length, 1, 'nothing changed')
  })

  t.test('delete: 204, then 404; the others stay', async (t) => {
    const event = await seedEvent(app, anEvent())
    const doomed = (await upload(app, event.id, fileUpload('a', 'a.txt'))).json<AttachmentResource>()
    const kept = (await upload(app, event.id, fileUpload('b', 'b.txt'))).json<AttachmentResource>()
    const url = `/v1/events/${event.id}/attachments/${doomed.id}`

    const deleted = await app.inject({ method: 'DELETE', url, headers: writer() })
    t.equal(deleted.statusCode, 204)
    t.equal(deleted.body, '')
    const again = await app.inject({ method: 'DELETE', url, headers: writer() })
    t.equal(again.statusCode, 404)
    t.equal((await download(app, event.id, doomed.id)).statusCode, 404)
    t.strictSame((await list(app, event.id)).json<AttachmentListResource>().items, [kept])

    const other = await seedEvent(app, anEvent())
    const elsewhere = await app.inject({
      method: 'DELETE',
      url: `/v1/events/${other.id}/attachments/${kept.id}`,
      headers: writer(),
    })
    t.equal(elsewhere.statusCode, 404, 'not through another event')
    t.equal((await download(app, other.id, kept.id)).statusCode, 404, 'nor downloaded through it')
  })

  t.test('deleting the event (a plan of the worker) deletes its attachments', async (t) => {
    const event = await seedEvent(app, anEvent())
    const other = await seedEvent(app, anEvent())
    const mine = (await upload(app, event.id, fileUpload('a'))).json<AttachmentResource>()
    const theirs = (await upload(app, other.id, fileUpload('b'))).json<AttachmentResource>()

    await deleteEventThroughPlan(app, event.id)

    t.equal(await app.store.getAttachment('default', event.id, mine.id), null, 'gone from the store')
    t.strictSame(await app.store.listAttachments('default', event.id), [])
    t.equal((await list(app, event.id)).statusCode, 404)
    t.equal((await download(app, event.id, mine.id)).statusCode, 404)
    t.equal((await upload(app, event.id, fileUpload('c'))).statusCode, 404, 'no new ones')
    t.strictSame((await list(app, other.id)).json<AttachmentListResource>().items, [theirs])
  })

  t.test('Idempotency-Key: the same file replays, another file is a 422', async (t) => {
    const event = await seedEvent(app, anEvent())
    const key = { 'idempotency-key': `upload-${randomBytes(4).toString('hex')}` }
    const first = await upload(app, event.id, fileUpload('same bytes'), key)
    t.equal(first.statusCode, 201)
    const again = await upload(app, event.id, fileUpload('same bytes'), key)
    t.equal(again.statusCode, 201)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.strictSame(again.json(), first.json())
    const other = await upload(app, event.id, fileUpload('other bytes'), key)
    t.equal(other.statusCode, 422)
    t.equal((await list(app, event.id)).json<AttachmentListResource>().items.length, 1)

    const tooLong = await upload(app, event.id, fileUpload('x'), { 'idempotency-key': 'k'.repeat(256) })
    t.equal(tooLong.statusCode, 400)
  })

  t.test(
    'Idempotency-Key on DELETE: the same delete replays its 204, another request is a 422',
    async (t) => {
      const event = await seedEvent(app, anEvent())
      const doomed = (await upload(app, event.id, fileUpload('a', 'a.txt'))).json<AttachmentResource>()
      const kept = (await upload(app, event.id, fileUpload('b', 'b.txt'))).json<AttachmentResource>()
      const headers = { ...writer(), 'idempotency-key': `delete-${randomBytes(4).toString('hex')}` }
      const url = `/v1/events/${event.id}/attachments/${doomed.id}`

      const first = await app.inject({ method: 'DELETE', url, headers })
      t.equal(first.statusCode, 204)
      t.notOk(first.headers['idempotent-replayed'])
      const again = await app.inject({ method: 'DELETE', url, headers })
      t.equal(again.statusCode, 204, 'the recorded answer, not a 404')
      t.equal(again.headers['idempotent-replayed'], 'true')
      t.equal(again.body, '')

      const other = await app.inject({
        method: 'DELETE',
        url: `/v1/events/${event.id}/attachments/${kept.id}`,
        headers,
      })
      t.equal(other.statusCode, 422, 'the key with another attachment')
      t.strictSame((await list(app, event.id)).json<AttachmentListResource>().items, [kept], 'kept stays')
      const withoutKey = await app.inject({ method: 'DELETE', url, headers: writer() })
      t.equal(withoutKey.statusCode, 404, 'without the key it is gone')

      const missingKey = { ...writer(), 'idempotency-key': `missing-${randomBytes(4).toString('hex')}` }
      const missingUrl = `/v1/events/${event.id}/attachments/att_missing`
      t.equal((await app.inject({ method: 'DELETE', url: missingUrl, headers: missingKey })).statusCode, 404)
      const missingAgain = await app.inject({ method: 'DELETE', url: missingUrl, headers: missingKey })
      t.equal(missingAgain.statusCode, 404, 'a 404 records nothing')
      t.notOk(missingAgain.headers['idempotent-replayed'])
    },
  )

  t.test('the OpenAPI document shows the routes, the multipart body and the bytes', async (t) => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const collection = doc.paths['/v1/events/{id}/attachments']
    const item = doc.paths['/v1/events/{id}/attachments/{attachmentId}']
    t.same(collection.post.security, [{ bearerAuth: ['events:write'] }])
    t.same(collection.get.security, [{ bearerAuth: ['events:read'] }])
    t.same(item.get.security, [{ bearerAuth: ['events:read'] }])
    t.same(item.delete.security, [{ bearerAuth: ['events:write'] }])
    t.match(collection.post.requestBody, {
      required: true,
      content: {
        'multipart/form-data': { schema: { $ref: '#/components/schemas/AttachmentUploadRequest' } },
      },
    })
    t.notOk(collection.post.requestBody.content['application/json'], 'no JSON body')
    t.match(doc.components.schemas.AttachmentUploadRequest, {
      type: 'object',
      properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } },
      required: ['file'],
    })
    t.match(collection.post.description, /not through the placement queue/)
    t.match(collection.post.responses['201'], {
      headers: { location: {} },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Attachment' } } },
    })
    t.match(collection.post.responses['413'].description, /ATTACHMENT_MAX_BYTES/)
    t.match(collection.post.responses['415'].description, /multipart\/form-data/)
    for (const status of ['400', '404', '413', '415']) {
      t.ok(collection.post.responses[status]?.content?.['application/problem+json'], `POST ${status}`)
    }
    t.match(collection.get.responses['200'], {
      content: { 'application/json': { schema: { $ref: '#/components/schemas/AttachmentList' } } },
    })
    t.match(item.get.responses['200'], {
      headers: { 'content-disposition': {}, 'content-length': {} },
      content: { '*/*': { schema: { type: 'string' } } },
    })
    t.ok(
      item.get.parameters.some(
        (p: { name: string; in: string }) => p.name === 'attachmentId' && p.in === 'path',
      ),
    )
    t.ok(item.delete.responses['204'])
  })
})
