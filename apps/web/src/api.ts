/** The few API calls the page makes, with the token pasted at sign-in (never put in a URL). */

export interface WireEvent {
  id: string
  title: string
  description?: string | null
  location?: string | null
  attendees: { email: string; name?: string | null; required: boolean }[]
  durationMinutes: number
  placement: 'auto' | 'fixed'
  window: { date: string } | { notBefore?: string | null; notAfter?: string | null } | null
  start: string | null
  end: string | null
  status: 'pending' | 'scheduled' | 'in_progress' | 'completed' | 'cancelled' | 'failed'
  failure: { code: string; message: string; alternatives: { start: string; end: string }[] } | null
  attendeeConflicts?: string[]
  outsideWorkingHours?: boolean
  version: number
  createdAt: string
  updatedAt: string
}

export interface CalendarSettings {
  id: string
  timezone: string
  workingHours: Record<string, { start: string; end: string }[]>
  bufferMinutes: number
  slotMinutes: number
  blackouts: { start: string; end: string; reason?: string | null }[]
}

export interface Attachment {
  id: string
  filename: string
  contentType: string
  size: number
}

export class Unauthorized extends Error {}

const TOKEN_KEY = 'scheduler-api.token'

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  save: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
}

async function get<T>(path: string, token = session.token()): Promise<T> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token ?? ''}` } })
  if (response.status === 401 || response.status === 403) throw new Unauthorized(await detail(response))
  if (!response.ok) throw new Error(await detail(response))
  return (await response.json()) as T
}

async function detail(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { title?: string; detail?: string }
    return `${response.status} ${problem.detail ?? problem.title ?? ''}`.trim()
  } catch {
    return `${response.status}`
  }
}

/**
 * Trades the pasted token for the admin session cookie (`POST /admin/session`, same origin), so the queue
 * dashboard opens without a token in its URL. Throws `Unauthorized` when the token lacks `calendar:admin`.
 */
export async function openAdminSession(): Promise<void> {
  const response = await fetch('/admin/session', {
    method: 'POST',
    headers: { authorization: `Bearer ${session.token() ?? ''}` },
  })
  if (response.status === 401 || response.status === 403) throw new Unauthorized(await detail(response))
  if (!response.ok) throw new Error(await detail(response))
}

export const api = {
  calendar: (token?: string) => get<CalendarSettings>('/v1/calendar', token ?? session.token()),
  event: (id: string) => get<WireEvent>(`/v1/events/${encodeURIComponent(id)}`),
  attachments: (id: string) =>
    get<{ items: Attachment[] }>(`/v1/events/${encodeURIComponent(id)}/attachments`),
  /** Every event matching the query, following the cursor. */
  async events(query: Record<string, string>): Promise<WireEvent[]> {
    const items: WireEvent[] = []
    let cursor: string | null = null
    do {
      const params = new URLSearchParams({ ...query, limit: '500', ...(cursor ? { cursor } : {}) })
      const page: { items: WireEvent[]; nextCursor: string | null } = await get(`/v1/events?${params}`)
      items.push(...page.items)
      cursor = page.nextCursor
    } while (cursor)
    return items
  },
}
