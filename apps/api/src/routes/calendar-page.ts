import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import { calendarPageDir } from '@scheduler/web'
import type { FastifyInstance } from 'fastify'
import { ServiceUnavailableProblem } from '../errors.js'

// The page talks only to this origin; FullCalendar injects its own <style> elements.
const PAGE_CSP = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ')

/**
 * The calendar page (`apps/web`, built by Vite on install) at `GET /calendar`, its assets under
 * `/calendar/`. No authentication here: the page signs in with a token pasted once and calls the API
 * with it. When the page was not built, `/calendar` answers 503 saying how to build it.
 */
export default async function calendarPageRoutes(app: FastifyInstance) {
  const indexHtml = await readFile(join(calendarPageDir, 'index.html'), 'utf8').catch(() => null)

  // Encapsulated: only the page's own routes get this policy.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', PAGE_CSP)
    return payload
  })

  app.get('/calendar', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    if (indexHtml === null)
      throw new ServiceUnavailableProblem(
        'The calendar page is not built: run `pnpm --filter @scheduler/web build` (it runs on install).',
      )
    return reply.type('text/html; charset=utf-8').send(indexHtml)
  })

  if (indexHtml !== null) {
    await app.register(fastifyStatic, {
      root: calendarPageDir,
      prefix: '/calendar/',
      decorateReply: false,
      index: ['index.html'],
      schemaHide: true,
    })
  }
}
