import type { TSchema } from '@sinclair/typebox'
import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

/**
 * Schema compilation for the routes. JSON bodies are validated as sent (`"title": 42` is invalid), while the
 * query string, path parameters and headers arrive as text and are coerced to the schema's types (and a
 * repeated query parameter to an array). Unknown properties are never removed silently: schemas say
 * `additionalProperties: false` and the request is refused.
 */
export function createValidatorCompiler(sharedSchemas: readonly TSchema[]): FastifySchemaCompiler<TSchema> {
  const bodies = createAjv(sharedSchemas, { coerceTypes: false })
  const text = createAjv(sharedSchemas, { coerceTypes: 'array' })
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : text).compile(schema)
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
  for (const schema of sharedSchemas) ajv.addSchema(schema)
  return ajv
}
