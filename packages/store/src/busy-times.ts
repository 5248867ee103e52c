import type { Interval } from '@scheduler/core'
import type { Store } from './port.js'

/** The registered busy times of each of `emails` (lower-cased) that overlap `range`, as the planner takes them. */
export async function busyTimesByEmail(
  store: Pick<Store, 'busyOverlapping'>,
  calendarId: string,
  emails: Iterable<string>,
  range: Interval,
): Promise<Map<string, Interval[]>> {
  const unique = [...new Set(emails)]
  const lists = await Promise.all(unique.map((email) => store.busyOverlapping(calendarId, [email], range)))
  return new Map(unique.map((email, i) => [email, lists[i] ?? []]))
}
