import t from 'tap'
import {
  normalizeContentType,
  sanitizeFilename,
} from '../../../../../src/routes/v1/events/attachments/upload-reader.js'

t.test('sanitizeFilename', async (t) => {
  const cases: [string | undefined, string][] = [
    ['minutes.txt', 'minutes.txt'],
    ['Résumé “final”.pdf', 'Résumé “final”.pdf'],
    ['Re\u0301sume\u0301.pdf', 'Résumé.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\fakepath\\report.pdf', 'report.pdf'],
    ['dir/', 'attachment'],
    ['..', 'attachment'],
    ['.env', 'env'],
    ['  spaced  .txt  ', 'spaced  .txt'],
    ['tab\tand\nnewline\u0000.txt', 'tabandnewline.txt'],
    ['invoice\u202efdp.exe', 'invoicefdp.exe'],
    ['bidi\u2066isolate\u2069.txt', 'bidiisolate.txt'],
    ['lone\ud800surrogate.txt', 'lonesurrogate.txt'],
    ['', 'attachment'],
    [undefined, 'attachment'],
  ]
  for (const [raw, expected] of cases) t.equal(sanitizeFilename(raw), expected, JSON.stringify(raw))

  const long = `${'a'.repeat(300)}.pdf`
  t.equal(sanitizeFilename(long), `${'a'.repeat(251)}.pdf`, 'truncated to 255, the extension kept')
  const emoji = '😀'.repeat(300)
  t.equal([...sanitizeFilename(emoji)].length, 255, 'counted in characters, never split in a pair')
  t.equal(
    sanitizeFilename(`${'b'.repeat(300)}.${'x'.repeat(40)}`).length,
    255,
    'a long "extension" is not kept',
  )
})

t.test('normalizeContentType', async (t) => {
  const cases: [string | undefined, string][] = [
    ['image/png', 'image/png'],
    ['Application/PDF', 'application/pdf'],
    [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    ['image/svg+xml', 'image/svg+xml'],
    ['text/html\r\nX-Injected: 1', 'application/octet-stream'],
    ['nonsense', 'application/octet-stream'],
    ['/', 'application/octet-stream'],
    ['', 'application/octet-stream'],
    [undefined, 'application/octet-stream'],
  ]
  for (const [raw, expected] of cases) t.equal(normalizeContentType(raw), expected, JSON.stringify(raw))
})
