import type { FastifyPluginAsync } from 'fastify'
import queueDashboardRoutes from './queues.js'
import adminSessionRoutes from './session.js'

/** The admin pages: the session (`/admin/session`) and the queue dashboard (`/admin/queues`). */
const adminRoutes: FastifyPluginAsync = async (app) => {
  await app.register(adminSessionRoutes, { prefix: '/admin' })
  await app.register(queueDashboardRoutes)
}

export default adminRoutes
