/**
 * `Content-Disposition: attachment` for a (sanitized) file name, per RFC 6266: a quoted ASCII `filename`
 * that every client understands and, when the name is not plain ASCII, the exact name as an RFC 8187
 * `filename*` that current clients prefer.
 */
export function contentDisposition(filename: string): string {
  const fallback = asciiFallback(filename)
  const header = `attachment; filename="${fallback}"`
  return fallback === filename ? header : `${header}; filename*=UTF-8''${encodeExtValue(filename)}`
}

// Accents dropped, anything else outside printable ASCII replaced; also `"` and `\` (quoted-string
// escapes that clients handle inconsistently) and `%` (which some clients percent-decode), as RFC 6266
// appendix D advises.
function asciiFallback(filename: string): string {
  return filename
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]|["\\%]/gu, '_')
}

// RFC 8187 attr-char: encodeURIComponent leaves ' ( ) * unescaped, which attr-char does not allow.
function encodeExtValue(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}
