/** A problem+json answer (RFC 9457) or a transport failure, as the CLI reports it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: { path: string; message: string }[] },
  ) {
    const detail = problem.detail ?? problem.title ?? 'request failed'
    const fields = (problem.errors ?? []).map((e) => `${e.path || '(body)'}: ${e.message}`).join('; ')
    super(status === 0 ? detail : `${status} ${detail}${fields ? ` (${fields})` : ''}`)
    this.name = 'ApiError'
  }
}

export interface ApiAnswer<T> {
  status: number
  body: T
  headers: Headers
}

export interface ApiClientOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string
  /** A bearer token (JWT). */
  token: string
}

/**
 * The scheduler-api over HTTP: JSON in and out, `Authorization: Bearer`. A non-2xx answer rejects with
 * `ApiError` carrying the problem document; an unreachable service rejects with status 0.
 */
export function createApiClient(options: ApiClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')

  async function request<T>(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, ...init.headers }
    if (init.body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await fetch(baseUrl + path, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      })
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
      throw new ApiError(0, { detail: `cannot reach ${baseUrl} (${cause})` })
    }
    const text = await response.text()
    let body: unknown = null
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      body = { detail: text.slice(0, 200) }
    }
    if (!response.ok) throw new ApiError(response.status, (body ?? {}) as ApiError['problem'])
    return { status: response.status, body: body as T, headers: response.headers }
  }

  return {
    baseUrl,
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
      request<T>('POST', path, { body: body ?? {}, ...(headers ? { headers } : {}) }),
    delete: <T>(path: string, headers?: Record<string, string>) =>
      request<T>('DELETE', path, headers ? { headers } : {}),
  }
}

export type ApiClient = ReturnType<typeof createApiClient>

/** The wire event, as far as the CLI reads it. */
export interface WireEvent {
  id: string
  title: string
  status: string
  placement: 'auto' | 'fixed'
  start: string | null
  end: string | null
  durationMinutes: number
  location?: string | null
  attendees?: { email: string; name?: string | null; required?: boolean }[]
  failure: { code: string; message: string; alternatives?: { start: string; end: string }[] } | null
  version: number
}

/** The wire job. */
export interface WireJob {
  id: string
  type: 'create' | 'update' | 'cancel' | 'delete'
  eventId: string
  state: 'queued' | 'active' | 'completed' | 'failed'
  error: { code: string; message: string } | null
}

/** The answer of every accepted change: `202 {event, job}`. */
export interface Accepted {
  event: WireEvent
  job: Pick<WireJob, 'id' | 'state'>
}
