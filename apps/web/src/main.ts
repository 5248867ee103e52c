import { Calendar, type EventClickArg, type EventInput, type EventSourceFuncArg } from '@fullcalendar/core'
import luxonPlugin from '@fullcalendar/luxon3'
import timeGridPlugin from '@fullcalendar/timegrid'
import { api, type CalendarSettings, openAdminSession, session, Unauthorized, type WireEvent } from './api.js'
import './style.css'

/** How often the page asks again (the worker places events in the background). */
const REFRESH_MS = 2000
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

let calendar: Calendar | null = null
let refreshTimer: ReturnType<typeof setInterval> | undefined

/** Working hours as FullCalendar business hours; an overnight interval (end ≤ start) runs past 24:00. */
function businessHours(settings: CalendarSettings) {
  return WEEKDAYS.flatMap((day, index) =>
    (settings.workingHours[day] ?? []).map(({ start, end }) => {
      const [h = 0, m = 0] = end.split(':').map(Number)
      const overnight = end <= start && end !== '24:00'
      const endTime = overnight ? `${String(h + 24).padStart(2, '0')}:${String(m).padStart(2, '0')}` : end
      return { daysOfWeek: [index], startTime: start, endTime }
    }),
  )
}

function toCalendarEvent(event: WireEvent): EventInput {
  return {
    id: event.id,
    title: event.placement === 'fixed' ? `📌 ${event.title}` : event.title,
    start: event.start ?? undefined,
    end: event.end ?? undefined,
    classNames: [`status-${event.status}`, `placement-${event.placement}`],
    extendedProps: { event },
  }
}

async function loadEvents(info: EventSourceFuncArg): Promise<EventInput[]> {
  const events = await api.events({
    from: info.start.toISOString(),
    to: info.end.toISOString(),
    status: 'scheduled,in_progress,completed',
  })
  return events.map(toCalendarEvent)
}

function text(value: string): string {
  const span = document.createElement('span')
  span.textContent = value
  return span.innerHTML
}

function when(settings: CalendarSettings, iso: string | null): string {
  if (!iso) return '—'
  return new Intl.DateTimeFormat(undefined, {
    timeZone: settings.timezone,
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(iso))
}

function listItem(settings: CalendarSettings, event: WireEvent): HTMLLIElement {
  const li = document.createElement('li')
  li.className = `item status-${event.status}`
  li.dataset.eventId = event.id
  const reason = event.failure
    ? `<div class="reason">${text(event.failure.code)}: ${text(event.failure.message)}</div>` +
      event.failure.alternatives
        .map((slot) => `<div class="alt">could go ${text(when(settings, slot.start))}</div>`)
        .join('')
    : `<div class="muted">${event.durationMinutes} min · ${event.placement}</div>`
  li.innerHTML = `<button type="button" class="link">${text(event.title)}</button>${reason}`
  li.querySelector('button')?.addEventListener('click', () => showDetails(settings, event.id))
  return li
}

async function refreshLists(settings: CalendarSettings) {
  const [pending, failed] = await Promise.all([
    api.events({ status: 'pending', order: 'updated' }),
    api.events({ status: 'failed', order: 'updated' }),
  ])
  $('pending').replaceChildren(...pending.map((event) => listItem(settings, event)))
  $('failed').replaceChildren(...failed.reverse().map((event) => listItem(settings, event)))
  $('pending-count').textContent = String(pending.length)
  $('failed-count').textContent = String(failed.length)
}

async function showDetails(settings: CalendarSettings, id: string) {
  const [event, attachments] = await Promise.all([
    api.event(id),
    api.attachments(id).catch(() => ({ items: [] })),
  ])
  const rows: [string, string][] = [
    ['Status', event.status],
    ['Placement', event.placement === 'fixed' ? 'fixed (explicit start)' : 'auto (placed by the worker)'],
    ['Start', when(settings, event.start)],
    ['End', when(settings, event.end)],
    ['Duration', `${event.durationMinutes} min`],
    ['Location', event.location ?? '—'],
    ['Version', String(event.version)],
    ['Updated', when(settings, event.updatedAt)],
  ]
  const attendees = event.attendees
    .map(
      (a) =>
        `<li>${text(a.name ? `${a.name} <${a.email}>` : a.email)}${a.required ? '' : ' (optional)'}</li>`,
    )
    .join('')
  const failure = event.failure
    ? `<section class="failure"><h3>Why it failed</h3><p class="reason">${text(event.failure.code)}: ${text(
        event.failure.message,
      )}</p>${
        event.failure.alternatives.length
          ? `<p>Nearest feasible slots:</p><ul>${event.failure.alternatives
              .map((s) => `<li>${text(when(settings, s.start))} – ${text(when(settings, s.end))}</li>`)
              .join('')}</ul>`
          : '<p>No feasible slot within the horizon.</p>'
      }</section>`
    : ''
  const files = attachments.items
    .map((f) => `<li>${text(f.filename)} <span class="muted">(${f.contentType}, ${f.size} bytes)</span></li>`)
    .join('')
  $('details-body').innerHTML = `
    <h2>${text(event.title)}</h2>
    ${event.description ? `<p>${text(event.description)}</p>` : ''}
    <dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${text(v)}</dd>`).join('')}</dl>
    ${failure}
    ${event.attendeeConflicts?.length ? `<p class="reason">Clashes for: ${text(event.attendeeConflicts.join(', '))}</p>` : ''}
    <h3>Attendees</h3>${attendees ? `<ul>${attendees}</ul>` : '<p class="muted">none</p>'}
    <h3>Attachments</h3>${files ? `<ul>${files}</ul>` : '<p class="muted">none</p>'}`
  $<HTMLDialogElement>('details').showModal()
}

function signOut(message = '') {
  // The admin session (if the queues were opened) ends with the page's.
  if (session.token()) void fetch('/admin/session', { method: 'DELETE' }).catch(() => undefined)
  session.clear()
  clearInterval(refreshTimer)
  calendar?.destroy()
  calendar = null
  $('app').hidden = true
  $('sign-out').hidden = true
  $('open-queues').hidden = true
  $('sign-in').hidden = false
  $('sign-in-error').textContent = message
}

async function start(settings: CalendarSettings) {
  $('sign-in').hidden = true
  $('app').hidden = false
  $('sign-out').hidden = false
  $('open-queues').hidden = false
  $('zone').textContent = `${settings.timezone} · slots of ${settings.slotMinutes} min`
  calendar = new Calendar($('calendar'), {
    plugins: [timeGridPlugin, luxonPlugin],
    initialView: 'timeGridWeek',
    timeZone: settings.timezone,
    height: 'auto',
    nowIndicator: true,
    // timegrid's own option (its type augmentation does not reach core's options under NodeNext)
    ...({ allDaySlot: false } as object),
    slotDuration: '00:30:00',
    scrollTime: '08:00:00',
    businessHours: businessHours(settings),
    headerToolbar: { left: 'prev,next today', center: 'title', right: '' },
    eventSources: [
      { id: 'events', events: (info: EventSourceFuncArg) => loadEvents(info) },
      {
        id: 'blackouts',
        events: settings.blackouts.map((b) => ({
          start: b.start,
          end: b.end,
          title: b.reason ?? 'blackout',
          display: 'background',
          classNames: ['blackout'],
        })),
      },
    ],
    eventClick: (info: EventClickArg) => {
      void showDetails(settings, info.event.id)
    },
  })
  calendar.render()
  await refreshLists(settings)
  refreshTimer = setInterval(async () => {
    try {
      calendar?.getEventSourceById('events')?.refetch()
      await refreshLists(settings)
      $('live').textContent = `updated ${new Date().toLocaleTimeString()}`
    } catch (error) {
      if (error instanceof Unauthorized) signOut('The token expired or was refused; paste a new one.')
    }
  }, REFRESH_MS)
}

async function signIn(token: string): Promise<void> {
  try {
    const settings = await api.calendar(token)
    session.save(token)
    await start(settings)
  } catch (error) {
    signOut(error instanceof Unauthorized ? `Not signed in: ${error.message}` : String(error))
  }
}

$('sign-in').addEventListener('submit', (e) => {
  e.preventDefault()
  void signIn($<HTMLTextAreaElement>('token').value.trim())
})
$('sign-out').addEventListener('click', () => signOut())
$('open-queues').addEventListener('click', async () => {
  try {
    await openAdminSession()
    window.location.assign('/admin/queues')
  } catch (error) {
    $('live').textContent = `Queues: ${error instanceof Error ? error.message : String(error)}`
  }
})

const saved = session.token()
if (saved) void signIn(saved)
else signOut()
