const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * True when `text` can be stored and answered exactly: it holds no NUL (U+0000: PostgreSQL `text` and `jsonb`
 * cannot hold it) and no unpaired surrogate (not a Unicode scalar value: it has no UTF-8 encoding, RFC 3629
 * §3). The API's text rule (`@scheduler/contract`'s `withTextRule`) refuses any other text with a 400.
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text)
}
