import ora from 'ora'
import type { Accepted, ApiClient, WireEvent } from '../api-client.js'
import { CliExit, ExitCode } from '../exit-codes.js'
import { eventDetails, eventLine, type Output } from '../output.js'
import { describeSettled, settle } from '../settle.js'

export interface WaitOptions {
  wait?: boolean
  timeout: string
}

/** `--timeout` in seconds as milliseconds; a usage error when it is not a positive number. */
export function timeoutMs(text: string): number {
  const seconds = Number(text)
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new CliExit(ExitCode.USAGE, `--timeout must be a positive number of seconds, not "${text}"`)
  return seconds * 1000
}

/**
 * Waits for an accepted change's job (spinner on a terminal), prints how it ended, and fails with
 * `NOT_APPLIED` when the change did not take.
 */
export async function watchJob(api: ApiClient, out: Output, jobId: string, waitMs: number): Promise<void> {
  const spinner = out.interactive
    ? ora({ text: `waiting for ${jobId}`, stream: process.stderr }).start()
    : null
  try {
    const settled = await settle(api, jobId, waitMs)
    const line = describeSettled(settled)
    if (settled.applied) spinner?.succeed(line)
    else spinner?.fail(line)
    out.result(settled, () => (settled.event ? eventDetails(settled.event) : line))
    if (!settled.applied) throw new CliExit(ExitCode.NOT_APPLIED, out.interactive ? '' : line)
  } catch (error) {
    if (spinner?.isSpinning) spinner.stop()
    throw error
  }
}

/** Prints an accepted change, then waits for it when asked. */
export async function accepted(
  api: ApiClient,
  out: Output,
  answer: Accepted,
  options: WaitOptions,
): Promise<void> {
  if (options.wait) return watchJob(api, out, answer.job.id, timeoutMs(options.timeout))
  out.result(answer, () => `${answer.event.id} accepted (job ${answer.job.id}, ${answer.job.state})`)
}

export interface CreateOptions extends WaitOptions {
  title: string
  duration: string
  start?: string
  date?: string
  notBefore?: string
  notAfter?: string
  description?: string
  location?: string
  attendee: string[]
  optionalAttendee: string[]
  idempotencyKey?: string
}

/** The create body from the command's options (the service validates the rest). */
export function createBody(options: CreateOptions): Record<string, unknown> {
  const durationMinutes = Number(options.duration)
  if (!Number.isInteger(durationMinutes))
    throw new CliExit(ExitCode.USAGE, `--duration must be whole minutes, not "${options.duration}"`)
  const attendees = [
    ...options.attendee.map((email) => ({ email, required: true })),
    ...options.optionalAttendee.map((email) => ({ email, required: false })),
  ]
  return {
    title: options.title,
    durationMinutes,
    ...(options.start ? { start: options.start } : {}),
    ...(options.date ? { date: options.date } : {}),
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
    ...(options.notAfter ? { notAfter: options.notAfter } : {}),
    ...(options.description ? { description: options.description } : {}),
    ...(options.location ? { location: options.location } : {}),
    ...(attendees.length > 0 ? { attendees } : {}),
  }
}

export async function createEvent(api: ApiClient, out: Output, options: CreateOptions): Promise<void> {
  const headers = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : undefined
  const answer = await api.post<Accepted>('/v1/events', createBody(options), headers)
  await accepted(api, out, answer.body, options)
}

export interface ListOptions {
  status?: string
  from?: string
  to?: string
  limit: string
  all?: boolean
}

/** `GET /v1/events`, one page or (with `--all`) every page. */
export async function listEvents(api: ApiClient, out: Output, options: ListOptions): Promise<void> {
  const query = new URLSearchParams({ limit: options.limit })
  if (options.status) query.set('status', options.status)
  if (options.from) query.set('from', options.from)
  if (options.to) query.set('to', options.to)
  const items: WireEvent[] = []
  let nextCursor: string | null = null
  do {
    if (nextCursor) query.set('cursor', nextCursor)
    const page = await api.get<{ items: WireEvent[]; nextCursor: string | null }>(`/v1/events?${query}`)
    items.push(...page.body.items)
    nextCursor = options.all ? page.body.nextCursor : null
  } while (nextCursor)
  out.result(items, () => (items.length === 0 ? '(no events)' : items.map(eventLine).join('\n')))
}

export async function showEvent(api: ApiClient, out: Output, id: string): Promise<void> {
  const event = (await api.get<WireEvent>(`/v1/events/${encodeURIComponent(id)}`)).body
  out.result(event, () => eventDetails(event))
}

export async function cancelEvent(api: ApiClient, out: Output, id: string, options: WaitOptions) {
  const answer = await api.post<Accepted>(`/v1/events/${encodeURIComponent(id)}/cancel`)
  await accepted(api, out, answer.body, options)
}

export async function deleteEvent(api: ApiClient, out: Output, id: string, options: WaitOptions) {
  const answer = await api.delete<Accepted>(`/v1/events/${encodeURIComponent(id)}`)
  await accepted(api, out, answer.body, options)
}

/** A deleted event, as a sync answers it. */
interface Tombstone {
  id: string
  deleted: true
  deletedAt: string
}

/**
 * The polling protocol (README: "How to keep a copy of the calendar"): without `token`, lists every event
 * (all pages); with it, every change since (events in their state now, deletions as tombstones). Either way
 * the answer ends with the `syncToken` to pass next time. A 410 (token expired or unknown) means: list again.
 */
export async function syncEvents(api: ApiClient, out: Output, token: string | undefined): Promise<void> {
  const items: (WireEvent | Tombstone)[] = []
  let nextCursor: string | null = null
  let syncToken: string | null = null
  do {
    const query = new URLSearchParams({ limit: '500' })
    if (token) query.set('syncToken', token)
    if (nextCursor) query.set('cursor', nextCursor)
    const page = await api.get<{
      items: (WireEvent | Tombstone)[]
      nextCursor: string | null
      syncToken?: string
    }>(`/v1/events?${query}`)
    items.push(...page.body.items)
    nextCursor = page.body.nextCursor
    syncToken = page.body.syncToken ?? null
  } while (nextCursor)
  out.result({ items, syncToken }, () =>
    [
      ...items.map((item) =>
        'deleted' in item ? `${item.id}  deleted at ${item.deletedAt}` : eventLine(item),
      ),
      `syncToken ${syncToken}`,
    ].join('\n'),
  )
}
