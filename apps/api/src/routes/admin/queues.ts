import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import { createDeliveryQueue, DELIVERY_QUEUE, type DeliveryQueue } from '@scheduler/jobs'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { HttpProblem } from '../../errors.js'

export const DASHBOARD_PATH = '/admin/queues'

/** A problem answered from a hook: bull-board's routes have an error handler of their own. */
function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: HttpProblem) {
  return reply
    .code(problem.status)
    .headers(problem.headers)
    .type('application/problem+json; charset=utf-8')
    .send({
      type: problem.type,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      requestId: request.id,
    })
}

/**
 * The queue dashboard (`@bull-board/fastify`) at `/admin/queues` for the placement and webhook-delivery
 * queues, its UI served from the package. Every route of it — the page, its assets, its JSON API and its
 * actions (retry, clean, promote, …) — needs the admin session (401 without one), and state-changing
 * requests must come from the same origin (403). None of it is in the OpenAPI document.
 */
const queueDashboardRoutes: FastifyPluginAsync = async (app) => {
  const serverAdapter = new FastifyAdapter()
  serverAdapter.setBasePath(DASHBOARD_PATH)
  const board = createBullBoard({
    queues: [new BullMQAdapter(app.placementQueue)],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'scheduler-api queues' } },
  })
  // bull-board's own handler would answer any error's message; ours never shows a 5xx's.
  serverAdapter.setErrorHandler((error: Error & { statusCode?: number }) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500
    return {
      status: status as 500,
      body: { error: status === 500 ? 'Internal server error' : error.message },
    }
  })

  // The delivery queue is opened on the dashboard's first use, not while the app starts: BullMQ checks the
  // server once per queue, and that check (bounded by the producer connection's command timeout) would
  // fail for good if start-up kept the event loop busy past it. A queue whose check failed is replaced.
  let deliveryQueue: DeliveryQueue | null = null
  async function attachDeliveryQueue(): Promise<void> {
    if (deliveryQueue !== null) {
      const usable = await deliveryQueue.client.then(
        () => true,
        () => false,
      )
      if (usable) return
      board.removeQueue(DELIVERY_QUEUE)
      await deliveryQueue.close().catch(() => undefined)
    }
    const queue = createDeliveryQueue(app.redis, app.config.REDIS_PREFIX)
    queue.on('error', (error) => app.log.warn({ err: error }, 'webhook-delivery queue (dashboard) error'))
    deliveryQueue = queue
    board.addQueue(new BullMQAdapter(queue))
  }
  app.addHook('onClose', async () => {
    await deliveryQueue?.close()
  })

  app.addHook('onRoute', (route: RouteOptions) => {
    route.schema = { ...route.schema, hide: true }
  })
  app.addHook('onRequest', async (request, reply) => {
    try {
      await app.adminSession.require(request)
      await attachDeliveryQueue()
    } catch (error) {
      if (error instanceof HttpProblem) return sendProblem(request, reply, error)
      throw error
    }
  })
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH })
}

export default queueDashboardRoutes
