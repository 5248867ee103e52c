import { setTimeout as sleep } from 'node:timers/promises'
import type { ApiClient, WireEvent, WireJob } from './api-client.js'
import { ApiError } from './api-client.js'
import { CliExit, ExitCode } from './exit-codes.js'

/** How a job ended, with the event as it is afterwards (null once a delete applied). */
export interface Settled {
  job: WireJob
  event: WireEvent | null
  /** True when the change took: the job completed and the event did not end `failed`. */
  applied: boolean
}

const POLL_MS = 200

/**
 * Polls `GET /v1/jobs/{id}` every 200 ms until the job is `completed` or `failed`, then reads its event.
 * Throws `CliExit(TIMEOUT)` after `timeoutMs`; `ApiError` when the service refuses.
 */
export async function settle(api: ApiClient, jobId: string, timeoutMs: number): Promise<Settled> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = (await api.get<WireJob>(`/v1/jobs/${encodeURIComponent(jobId)}`)).body
    if (job.state === 'completed' || job.state === 'failed') {
      const event = await readEvent(api, job.eventId)
      const applied = job.state === 'completed' && event?.status !== 'failed'
      return { job, event, applied }
    }
    if (Date.now() >= deadline) {
      throw new CliExit(ExitCode.TIMEOUT, `job ${jobId} still ${job.state} after ${timeoutMs / 1000} s`)
    }
    await sleep(POLL_MS)
  }
}

async function readEvent(api: ApiClient, id: string): Promise<WireEvent | null> {
  try {
    return (await api.get<WireEvent>(`/v1/events/${encodeURIComponent(id)}`)).body
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null
    throw error
  }
}

/** A one-line account of how a job ended. */
export function describeSettled(settled: Settled): string {
  const { job, event } = settled
  if (job.state === 'failed') return `job ${job.id} failed: ${job.error?.code}: ${job.error?.message}`
  if (!event) return `${job.type} applied: event ${job.eventId} is gone`
  if (event.status === 'failed')
    return `event ${event.id} could not be placed: ${event.failure?.code}: ${event.failure?.message}`
  const when = event.start && event.end ? ` ${event.start} – ${event.end}` : ''
  return `event ${event.id} ${event.status}${when}`
}
