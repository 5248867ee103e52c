/** The operations of an OpenAPI 3.1 document, as the fuzzer needs them: parameters, body, answers. */

export type Json = Record<string, unknown>
export type Schema = Json | boolean

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required: boolean
  /** Dereferenced: no `$ref` left (json-schema-faker gets it as is). */
  schema: Schema
}

export interface Operation {
  operationId: string
  method: string
  /** The path template, e.g. `/v1/events/{id}`. */
  path: string
  parameters: Parameter[]
  /** The media types of the request body and their dereferenced schemas; null when the operation takes none. */
  requestBody: { required: boolean; content: Record<string, Schema> } | null
  /** Documented statuses, each with its media types; the schema is a JSON pointer into the document. */
  responses: Map<number, Record<string, string | null>>
  /** Documented response headers per status (lower-case names), with their dereferenced schemas. */
  responseHeaders: Map<number, Record<string, { schema: Schema; required: boolean }>>
  secured: boolean
}

function pointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1')
}

function resolvePointer(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`)
  let node: unknown = document
  for (const raw of ref.slice(2).split('/')) {
    const token = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    node = (node as Json)[token]
    if (node === undefined) throw new Error(`unresolved reference ${ref}`)
  }
  return node
}

/** `schema` with every local `$ref` replaced by what it names (the document's schemas are not recursive). */
export function dereference(document: Json, schema: unknown, depth = 0): unknown {
  if (depth > 64) throw new Error('schema references nest too deep (recursive?)')
  if (Array.isArray(schema)) return schema.map((item) => dereference(document, item, depth + 1))
  if (schema === null || typeof schema !== 'object') return schema
  const object = schema as Json
  if (typeof object.$ref === 'string') {
    const { $ref, ...siblings } = object
    const target = dereference(document, resolvePointer(document, $ref), depth + 1) as Json
    return { ...target, ...(dereference(document, siblings, depth + 1) as Json) }
  }
  return Object.fromEntries(
    Object.entries(object).map(([key, value]) => [key, dereference(document, value, depth + 1)]),
  )
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** Every operation of `document`, in document order. */
export function operationsOf(document: Json): Operation[] {
  const operations: Operation[] = []
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const operation = item[method]
      if (operation === undefined) continue
      const declared = [
        ...((item.parameters as Json[] | undefined) ?? []),
        ...((operation.parameters as Json[] | undefined) ?? []),
      ].map((parameter) => dereference(document, parameter) as Json)
      const parameters = declared.map((parameter) => ({
        name: String(parameter.name),
        in: parameter.in as Parameter['in'],
        required: parameter.required === true,
        schema: (parameter.schema ?? {}) as Schema,
      }))
      const body = operation.requestBody ? (dereference(document, operation.requestBody) as Json) : null
      const responses = new Map<number, Record<string, string | null>>()
      const responseHeaders = new Map<number, Record<string, { schema: Schema; required: boolean }>>()
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Json)) {
        const headers = dereference(document, (response as Json).headers ?? {}) as Record<string, Json>
        responseHeaders.set(
          Number(status),
          Object.fromEntries(
            Object.entries(headers).map(([name, header]) => [
              name.toLowerCase(),
              { schema: (header.schema ?? {}) as Schema, required: header.required === true },
            ]),
          ),
        )
        const content = ((response as Json).content ?? {}) as Record<string, Json>
        const base = `#/paths/${pointerToken(path)}/${method}/responses/${status}/content`
        responses.set(
          Number(status),
          Object.fromEntries(
            Object.entries(content).map(([type, media]) => [
              type,
              media.schema === undefined ? null : `${base}/${pointerToken(type)}/schema`,
            ]),
          ),
        )
      }
      const security = (operation.security ?? document.security ?? []) as unknown[]
      operations.push({
        operationId: String(operation.operationId ?? `${method} ${path}`),
        method: method.toUpperCase(),
        path,
        parameters,
        requestBody: body
          ? {
              required: body.required === true,
              content: Object.fromEntries(
                Object.entries((body.content ?? {}) as Record<string, Json>).map(([type, media]) => [
                  type,
                  (media.schema ?? {}) as Schema,
                ]),
              ),
            }
          : null,
        responses,
        responseHeaders,
        secured: security.some((requirement) => Object.keys(requirement as Json).length > 0),
      })
    }
  }
  return operations
}
