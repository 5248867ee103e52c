import type { WireEvent } from './api-client.js'

/** Where the CLI writes: results to stdout, progress and diagnostics to stderr. */
export interface Output {
  json: boolean
  /** A result: JSON when `--json`, else the human text. */
  result(value: unknown, human: () => string): void
  /** A diagnostic line on stderr (never in the JSON stream). */
  info(line: string): void
  /** True when stderr is a terminal and progress may be drawn. */
  interactive: boolean
}

export function createOutput(json: boolean): Output {
  return {
    json,
    interactive: Boolean(process.stderr.isTTY) && !json,
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`)
    },
    info(line) {
      process.stderr.write(`${line}\n`)
    },
  }
}

/** One line per event: id, status, start–end (UTC), title. */
export function eventLine(event: WireEvent): string {
  const when = event.start && event.end ? `${event.start} – ${event.end}` : '(not placed)'
  return `${event.id}  ${event.status.padEnd(11)}  ${when}  ${event.title}`
}

/** The event in detail, with its failure and alternatives. */
export function eventDetails(event: WireEvent): string {
  const lines = [
    `${event.title} (${event.id})`,
    `  status:     ${event.status}`,
    `  placement:  ${event.placement}, ${event.durationMinutes} min`,
    `  time:       ${event.start && event.end ? `${event.start} – ${event.end}` : 'not placed'}`,
  ]
  if (event.location) lines.push(`  location:   ${event.location}`)
  for (const attendee of event.attendees ?? []) {
    const name = attendee.name ? `${attendee.name} ` : ''
    lines.push(`  attendee:   ${name}<${attendee.email}>${attendee.required === false ? ' (optional)' : ''}`)
  }
  if (event.failure) {
    lines.push(`  failure:    ${event.failure.code}: ${event.failure.message}`)
    for (const slot of event.failure.alternatives ?? [])
      lines.push(`  could go:   ${slot.start} – ${slot.end}`)
  }
  lines.push(`  version:    ${event.version}`)
  return lines.join('\n')
}
