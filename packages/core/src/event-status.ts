import type { EventChanges, EventRecord, EventStatus, Instant } from './types.js'

/**
 * The status a client sees: a stored `scheduled` event is `in_progress` while now is in [start, end) and
 * `completed` once now ≥ end; every other stored status is reported as stored.
 */
export function clientStatus(
  record: Pick<EventRecord, 'status' | 'start' | 'end'>,
  now: Instant,
): EventStatus {
  if (record.status !== 'scheduled' || record.start === null || record.end === null) return record.status
  if (now >= record.end) return 'completed'
  if (now >= record.start) return 'in_progress'
  return 'scheduled'
}

/** Occupying events hold their time: stored status `scheduled` (which includes in progress). */
export function isOccupying(record: Pick<EventRecord, 'status'>): boolean {
  return record.status === 'scheduled'
}

export type ChangeCheck = { ok: true } | { ok: false; reason: string }

/**
 * Whether `changes` may be applied to the event now.
 * - `status: 'cancelled'`: from pending, scheduled (also in progress), failed; again on a cancelled event
 *   (a no-op). Not from completed (stored, or by the clock).
 * - `status: 'completed'`: from stored scheduled (whatever the clock says); again on a completed event
 *   (a no-op).
 * - A time change (`when`, or a `durationMinutes` other than the record's): not on cancelled or completed
 *   events, and not together with a status change.
 * Every other field may always be edited.
 */
export function checkChange(
  record: Pick<EventRecord, 'id' | 'status' | 'start' | 'end'> &
    Partial<Pick<EventRecord, 'durationMinutes'>>,
  changes: EventChanges,
  now: Instant,
): ChangeCheck {
  const current = clientStatus(record, now)
  const durationChange =
    changes.durationMinutes !== undefined && changes.durationMinutes !== record.durationMinutes
  const timeChange = changes.when !== undefined || durationChange
  if (changes.status !== undefined && timeChange) {
    return { ok: false, reason: `A status change cannot be combined with a new time or duration` }
  }
  if (changes.status === 'cancelled' && current === 'completed') {
    return { ok: false, reason: `Event ${record.id} is completed and cannot be cancelled` }
  }
  if (changes.status === 'completed' && record.status !== 'scheduled' && record.status !== 'completed') {
    return {
      ok: false,
      reason: `Event ${record.id} is ${current}; only a scheduled event can be marked completed`,
    }
  }
  if (timeChange && (current === 'cancelled' || current === 'completed')) {
    return { ok: false, reason: `Event ${record.id} is ${current}; its time can no longer change` }
  }
  return { ok: true }
}
