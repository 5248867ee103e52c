/** The deepest nesting of objects and arrays a JSON body may have; the contract's bodies need 5. */
export const MAX_JSON_DEPTH = 64

/**
 * Whether the JSON text `text` nests objects and arrays deeper than `max`, decided by one scan of the
 * text before it is parsed: a deeper body would overflow the stack of any recursive walk over it (the
 * idempotency hash was one, a 500 found by the contract fuzzer). Malformed text is left to the parser.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index)
    if (inString) {
      if (char === 0x5c)
        index++ // a backslash escapes the next character
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x5b || char === 0x7b) {
      depth++
      if (depth > max) return true
    } else if (char === 0x5d || char === 0x7d) depth--
  }
  return false
}
