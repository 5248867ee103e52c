import { existsSync } from 'node:fs'
import { copyFile, mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { startService, waitUntil } from '@scheduler/test-helpers/service'
import { chromium } from 'playwright-core'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHROMIUM = '/usr/bin/chromium'
// The flags this machine's Chromium needs (Debian's package, no sandbox in a container, nothing downloaded).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]
const ARTIFACTS = `${ROOT}.tap/artifacts`

// Skipped only off CI: .ci/run installs Chromium, so there a missing browser fails the test.
const skip =
  !existsSync(CHROMIUM) && process.env.CI !== 'true' && `no ${CHROMIUM}: apt-get install -y chromium`

t.test('the calendar page in a real browser', { skip }, async (t) => {
  const service = await startService(t, {
    CALENDAR_TIMEZONE: 'UTC',
    CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
    CALENDAR_HORIZON_DAYS: '30',
  })
  await service.startApi()
  service.startWorker()
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))

  const answer = await page.goto(`${service.baseUrl}/calendar`)
  t.equal(answer?.status(), 200)
  t.match(answer?.headers()['content-security-policy'], /default-src 'self'/)

  t.test('a refused token shows why and stays signed out', async (t) => {
    await page.fill('#token', 'not-a-token')
    await page.click('#sign-in button[type=submit]')
    await page.waitForSelector('#sign-in-error:has-text("Not signed in")')
    t.equal(await page.isVisible('#app'), false)
  })

  t.test('signed in with a pasted token, the week shows and keeps itself current', async (t) => {
    await page.fill('#token', service.token(['events:read', 'calendar:admin']))
    await page.click('#sign-in button[type=submit]')
    await page.waitForSelector('.fc-timegrid')
    t.notMatch(page.url(), /token|eyJ/, 'the token is never in the URL')
    t.ok(await page.evaluate("Boolean(sessionStorage.getItem('scheduler-api.token'))"))
    t.match(await page.textContent('#zone'), /UTC/)

    const created = await service.call('POST', '/v1/events', {
      body: { title: 'Appears live', durationMinutes: 60, location: 'Room 1' },
    })
    t.equal(created.status, 202)
    const job = await service.waitForJob(created.body.job.id)
    t.equal(job.state, 'completed')
    const placed = (await service.call('GET', `/v1/events/${created.body.event.id}`)).body
    t.equal(placed.status, 'scheduled')
    // The week shown is the current one (Sunday first); the event may fall into the next.
    const weekEnd = new Date()
    weekEnd.setUTCHours(0, 0, 0, 0)
    weekEnd.setUTCDate(weekEnd.getUTCDate() + 7 - weekEnd.getUTCDay())
    if (new Date(placed.start) >= weekEnd) await page.click('.fc-next-button')
    await page.waitForSelector('.fc-event:has-text("Appears live")', { timeout: 15_000 })
    t.pass('the placed event appeared without a reload')
    t.ok(await page.$('.fc-event.status-scheduled.placement-auto:has-text("Appears live")'))
  })

  t.test('a failed event is listed with its reason, and its details open', async (t) => {
    const failing = await service.call('POST', '/v1/events', {
      body: {
        title: 'Cannot fit',
        durationMinutes: 120,
        notAfter: new Date(Date.now() + 60 * 60_000).toISOString(),
        attendees: [{ email: 'ann@example.com', name: 'Ann' }],
      },
    })
    t.equal(failing.status, 202)
    await service.waitForJob(failing.body.job.id)
    await page.waitForSelector('#failed li:has-text("Cannot fit")', { timeout: 15_000 })
    t.match(await page.textContent('#failed'), /NO_SLOT_AVAILABLE|OUTSIDE_HORIZON/)
    await page.click('#failed li:has-text("Cannot fit") button')
    await page.waitForSelector('#details[open]')
    const details = await page.textContent('#details')
    t.match(details, /Why it failed/)
    t.match(details, /ann@example\.com/)
    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: `${ARTIFACTS}/calendar-failed-details.png` })
    await page.click('#details button[type=submit]')
  })

  t.test('Queues opens the queue dashboard through an admin session, no token in its URL', async (t) => {
    await page.click('#open-queues')
    await page.waitForURL(/\/admin\/queues/, { timeout: 15_000 })
    t.notMatch(page.url(), /token|eyJ/)
    await page.waitForSelector('text=placement', { timeout: 20_000 })
    t.pass('the dashboard lists the placement queue')
    await page.click('text=placement')
    await page.waitForSelector('text=Completed', { timeout: 20_000 })
    await page.waitForTimeout(1_000)
    await page.screenshot({ path: `${ARTIFACTS}/queue-dashboard.png` })
    await page.goto(`${service.baseUrl}/calendar`)
    await page.waitForSelector('.fc-timegrid')
    t.pass('back on the calendar, still signed in (session storage)')
  })

  t.test('screenshot of the week, and signing out forgets the token', async (t) => {
    await waitUntil(async () => (await page.$$('.fc-event')).length > 0, 10_000)
    await page.screenshot({ path: `${ARTIFACTS}/calendar-page.png`, fullPage: true })
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await mkdir(`${ROOT}docs/screenshots`, { recursive: true })
      await copyFile(`${ARTIFACTS}/calendar-page.png`, `${ROOT}docs/screenshots/calendar-page.png`)
      await copyFile(`${ARTIFACTS}/queue-dashboard.png`, `${ROOT}docs/screenshots/queue-dashboard.png`)
      await copyFile(
        `${ARTIFACTS}/calendar-failed-details.png`,
        `${ROOT}docs/screenshots/calendar-failed-details.png`,
      )
    }
    await page.click('#sign-out')
    await page.waitForSelector('#sign-in:not([hidden])')
    t.equal(await page.evaluate("sessionStorage.getItem('scheduler-api.token')"), null)
    t.same(pageErrors, [], 'no script errors on the page')
  })
})
