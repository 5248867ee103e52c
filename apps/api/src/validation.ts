import { isStorableText, TEXT_RULE_KEYWORD, TEXT_RULE_MESSAGE, withTextRule } from '@scheduler/contract'
import type { TSchema } from '@sinclair/typebox'
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

/**
 * Schema compilation for the routes. JSON bodies are validated as sent (`"title": 42` is invalid), while the
 * query string, path parameters and headers arrive as text and are coerced to the schema's types (and a
 * repeated query parameter to an array). Unknown properties are never removed silently: schemas say
 * `additionalProperties: false` and the request is refused.
 *
 * Every string schema, the shared ones included, gets the contract's text rule (`withTextRule`): NUL and
 * unpaired surrogates are a 400 naming the field, in bodies, path parameters, query strings and headers alike.
 */
export function createValidatorCompiler(sharedSchemas: readonly TSchema[]): FastifySchemaCompiler<TSchema> {
  const bodies = createAjv(sharedSchemas, { coerceTypes: false })
  const text = createAjv(sharedSchemas, { coerceTypes: 'array' })
  return ({ schema, httpPart }) =>
    httpPart === 'body'
      ? bodies.compile(withTextRule(schema))
      : finiteNumbersOnly(text.compile(withTextRule(schema)))
}

/**
 * `validate`, refusing a text value ajv coerced to ±Infinity: its coercion takes `"1e400"` for an integer
 * and skips `maximum` (`?limit=1e400` reached the store as Infinity, a 500; found by the contract fuzzer).
 */
function finiteNumbersOnly(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown) => {
    if (!validate(data)) {
      checked.errors = validate.errors
      return false
    }
    const path = nonFinitePath(data, '')
    checked.errors =
      path === null
        ? null
        : [
            {
              instancePath: path,
              schemaPath: '#',
              keyword: 'type',
              params: {},
              message: 'must be a finite number',
            },
          ]
    return path === null
  }) as ValidateFunction
  return checked
}

/** The JSON pointer of the first non-finite number in `data`, or null. */
function nonFinitePath(data: unknown, path: string): string | null {
  if (typeof data === 'number') return Number.isFinite(data) ? null : path
  if (data === null || typeof data !== 'object') return null
  for (const [key, value] of Object.entries(data)) {
    const found = nonFinitePath(value, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`)
    if (found !== null) return found
  }
  return null
}

function createAjv(sharedSchemas: readonly TSchema[], options: Pick<Options, 'coerceTypes'>): Ajv {
  const ajv = new Ajv({
    ...options,
    removeAdditional: false,
    useDefaults: true,
    // One error per request part: reporting every error is a known denial-of-service vector
    allErrors: false,
    allowUnionTypes: true,
  })
  addFormats.default(ajv, { mode: 'full', formats: ['date-time', 'date', 'email', 'uri'] })
  ajv.addKeyword({
    keyword: TEXT_RULE_KEYWORD,
    type: 'string',
    schemaType: 'boolean',
    errors: true,
    validate: storableText,
  })
  for (const schema of sharedSchemas) ajv.addSchema(withTextRule(schema))
  return ajv
}

/** The text rule as an ajv keyword: a function keyword that reports its own error (`errors: true`). */
interface TextRuleValidator {
  (applies: unknown, data: unknown): boolean
  errors?: Partial<ErrorObject>[]
}

const storableText: TextRuleValidator = (applies, data) => {
  if (applies !== true || typeof data !== 'string' || isStorableText(data)) return true
  storableText.errors = [{ keyword: TEXT_RULE_KEYWORD, message: TEXT_RULE_MESSAGE, params: {} }]
  return false
}
