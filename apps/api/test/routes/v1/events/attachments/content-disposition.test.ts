import t from 'tap'
import { contentDisposition } from '../../../../../src/routes/v1/events/attachments/content-disposition.js'

t.test('a plain ASCII name is only quoted', async (t) => {
  t.equal(contentDisposition('report-2026.pdf'), 'attachment; filename="report-2026.pdf"')
  t.equal(contentDisposition("it's (v2).txt"), `attachment; filename="it's (v2).txt"`)
})

t.test('any other name adds the exact one as filename* (RFC 8187)', async (t) => {
  t.equal(
    contentDisposition('Résumé.pdf'),
    `attachment; filename="Resume.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf`,
  )
  t.equal(
    contentDisposition('会议纪要.docx'),
    `attachment; filename="____.docx"; filename*=UTF-8''%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81.docx`,
  )
  t.equal(
    contentDisposition('smile 😀.png'),
    `attachment; filename="smile _.png"; filename*=UTF-8''smile%20%F0%9F%98%80.png`,
    'one replacement per character, not per UTF-16 unit',
  )
})

t.test('quotes, backslashes and percent signs never reach the quoted fallback', async (t) => {
  t.equal(
    contentDisposition('say "hi" \\ 100%.txt'),
    `attachment; filename="say _hi_ _ 100_.txt"; filename*=UTF-8''say%20%22hi%22%20%5C%20100%25.txt`,
  )
  t.equal(
    contentDisposition("a'b(c)*.txt (1)"),
    `attachment; filename="a'b(c)*.txt (1)"`,
    'attr-char only matters in filename*',
  )
  t.match(
    contentDisposition("é'()*"),
    /filename\*=UTF-8''%C3%A9%27%28%29%2A$/,
    "' ( ) * are escaped in filename*",
  )
})
