import { isStorableText } from '@scheduler/core'

/**
 * The one rule for text anywhere in the API (bodies, path parameters, query strings, headers): a string
 * may hold any Unicode scalar value except U+0000. Refused, with a 400 naming the field:
 * - NUL (U+0000): PostgreSQL `text` and `jsonb` cannot hold it (nor can C strings in general);
 * - an unpaired surrogate (U+D800–U+DFFF without its partner): not a Unicode scalar value, so it has no
 *   UTF-8 encoding (RFC 3629 §3) and would be stored as U+FFFD, i.e. not as sent. `JSON.parse` makes one from
 *   an escape such as `"\ud83d"` (RFC 8259 §8.2 leaves such strings' handling unpredictable).
 * Every other string is stored and answered exactly as sent.
 *
 * The API applies it to every string schema it compiles (`withTextRule`), so a new field gets it by
 * construction.
 */
export const TEXT_RULE_KEYWORD = 'storableText'

export { isStorableText }

export const TEXT_RULE_MESSAGE = 'must not contain NUL (U+0000) or an unpaired surrogate (U+D800–U+DFFF)'

/**
 * A copy of a JSON Schema in which every schema that admits strings (`type: "string"` or a type list with
 * `"string"`) also carries the text rule's keyword (`storableText: true`), however deeply it is nested
 * (properties, items, anyOf, …). Symbol keys (TypeBox's own) are not copied; they mean nothing to a validator.
 */
export function withTextRule<T>(schema: T): T {
  return addRule(schema) as T
}

// Keywords whose value maps names to schemas (a property may be called `default`)
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'])
// Keywords whose value is data, not a schema: left as written
const DATA = new Set(['default', 'const', 'enum', 'examples'])

function addRule(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(addRule)
  if (node === null || typeof node !== 'object') return node
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (DATA.has(key)) copy[key] = value
    else if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object')
      copy[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, addRule(sub)]))
    else copy[key] = addRule(value)
  }
  const type = copy.type
  const admitsText = type === 'string' || (Array.isArray(type) && type.includes('string'))
  if (admitsText && copy[TEXT_RULE_KEYWORD] === undefined) copy[TEXT_RULE_KEYWORD] = true
  return copy
}
