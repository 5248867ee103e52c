import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { Json, Operation } from './openapi-operations.js'

/** An answer as `app.inject()` gives it. */
export interface Answer {
  statusCode: number
  headers: Record<string, unknown>
  body: string
}

/** The headers the document's description promises on every answer, errors included. */
const EVERY_ANSWER = ['x-request-id', 'cache-control', 'x-content-type-options']

const DOCUMENT_ID = 'https://scheduler-api.invalid/openapi.json'

/**
 * The checks every answer must pass, against the document the service serves: ajv with JSON Schema 2020-12,
 * the dialect of OpenAPI 3.1, and the document's own `#/components` for references.
 */
export function makeAnswerChecks(document: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true })
  addFormats.default(ajv)
  ajv.addSchema({ ...document, $id: DOCUMENT_ID })
  const compiled = new Map<string, ValidateFunction>()
  const validatorOf = (pointer: string) => {
    let validate = compiled.get(pointer)
    if (validate === undefined) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}${pointer}` })
      compiled.set(pointer, validate)
    }
    return validate
  }

  const headerValidators = new Map<string, ValidateFunction>()
  /**
   * The headers the document says every answer carries, and those it marks `required`, are present; every
   * documented header present matches its schema (OpenAPI headers are optional unless `required`).
   */
  const headerFaults = (operation: Operation, answer: Answer): string[] => {
    const documented = operation.responseHeaders.get(answer.statusCode) ?? {}
    const faults: string[] = []
    for (const [name, { schema, required }] of Object.entries(documented)) {
      const value = answer.headers[name]
      if (value === undefined) {
        if (required || EVERY_ANSWER.includes(name))
          faults.push(`a ${answer.statusCode} without its ${name} header`)
        continue
      }
      const key = JSON.stringify(schema)
      let validate = headerValidators.get(key)
      if (validate === undefined) {
        validate = ajv.compile(schema)
        headerValidators.set(key, validate)
      }
      const text = String(value)
      const typed = typeof schema === 'object' && schema.type === 'integer' ? Number(text) : text
      if (!validate(typed)) {
        faults.push(
          `a ${answer.statusCode} whose ${name} header ${JSON.stringify(text.slice(0, 80))} does not match its schema`,
        )
      }
    }
    return faults
  }

  /** What is wrong with `answer` to a request for `operation` (empty: nothing). */
  return function faultsOf(operation: Operation, answer: Answer): string[] {
    const status = answer.statusCode
    const faults: string[] = []
    if (status >= 500) faults.push(`a server error (${status})`)
    const documented = operation.responses.get(status)
    if (documented === undefined) {
      faults.push(`status ${status} is not documented for ${operation.operationId}`)
      return faults
    }
    faults.push(...headerFaults(operation, answer))
    const contentType = String(answer.headers['content-type'] ?? '')
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
    if (status >= 400 && status < 500 && mediaType !== 'application/problem+json') {
      faults.push(`a ${status} as ${contentType || 'no content type'}, not application/problem+json`)
    }
    const mediaTypes = Object.keys(documented)
    if (mediaTypes.length === 0) {
      if (answer.body.length > 0) faults.push(`a ${status} with a body where none is documented`)
      return faults
    }
    // The most specific documented media type or range (`text/*`, `*/*`) the answer's type falls in
    const range = [mediaType, `${mediaType.split('/')[0]}/*`, '*/*'].find((type) => type in documented)
    if (range === undefined) {
      faults.push(`a ${status} as ${contentType || 'no content type'}, documented: ${mediaTypes.join(', ')}`)
      return faults
    }
    const pointer = documented[range]
    if (pointer === null || pointer === undefined || !mediaType.endsWith('json')) return faults
    let body: unknown
    try {
      body = JSON.parse(answer.body)
    } catch {
      faults.push(`a ${status} ${mediaType} body that is not JSON: ${answer.body.slice(0, 200)}`)
      return faults
    }
    const validate = validatorOf(pointer)
    if (!validate(body)) {
      faults.push(`a ${status} body that does not match its schema: ${ajv.errorsText(validate.errors)}`)
    }
    if (mediaType === 'application/problem+json') {
      const problem = body as Json
      if (problem.status !== status) faults.push(`a problem whose status ${problem.status} is not ${status}`)
    }
    return faults
  }
}
