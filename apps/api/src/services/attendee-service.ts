import { CALENDAR_ID_DEFAULT, type Instant, type Interval } from '@scheduler/core'
import type { Store } from '@scheduler/store'
import { type InputIssue, InvalidInputError } from './domain-errors.js'
import {
  type Idempotent,
  type IdempotentRequest,
  type IdempotentWrites,
  mapDone,
} from './idempotency-service.js'

export interface AttendeeServiceDeps {
  store: Pick<Store, 'getBusy' | 'putBusy'>
  writes: IdempotentWrites
  clock: () => Instant
}

/** An attendee's registered busy times; the email lower-cased, the intervals sorted. */
export interface AttendeeBusy {
  email: string
  busy: Interval[]
}

const calendarId = CALENDAR_ID_DEFAULT

/**
 * Attendees' known busy times. Auto placement keeps an event's required attendees free of them (and of the
 * occupying events they attend); emails are compared case-insensitively.
 */
export function makeAttendeeService(deps: AttendeeServiceDeps) {
  const { store, writes } = deps
  return {
    async busy(email: string): Promise<AttendeeBusy> {
      const normalized = email.toLowerCase()
      return { email: normalized, busy: await store.getBusy(calendarId, normalized) }
    },

    /**
     * Replaces every busy time of the attendee (`[]` clears them). An interval whose end is not after its
     * start is `InvalidInputError` at `/busy/<i>/end`, every one of them named.
     */
    async replaceBusy(
      email: string,
      busy: Interval[],
      request: IdempotentRequest<AttendeeBusy> | null,
    ): Promise<Idempotent<AttendeeBusy>> {
      const issues: InputIssue[] = []
      busy.forEach(({ start, end }, i) => {
        if (end <= start) issues.push({ field: `/busy/${i}/end`, message: 'must be after start' })
      })
      if (issues.length > 0) throw new InvalidInputError(issues)
      const replaced: AttendeeBusy = {
        email: email.toLowerCase(),
        busy: [...busy].sort((a, b) => a.start - b.start || a.end - b.end),
      }
      return writes.run(request, deps.clock(), async (record) =>
        mapDone(
          await store.putBusy(calendarId, replaced.email, replaced.busy, record(replaced)),
          () => replaced,
        ),
      )
    },
  }
}

export type AttendeeService = ReturnType<typeof makeAttendeeService>
