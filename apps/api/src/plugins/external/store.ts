import { initialCalendar } from '@scheduler/config'
import { openStore, type Store } from '@scheduler/store'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

/** Opens the calendar store named by STORE_URL and makes sure the calendar exists. */
export default fp(
  async (app: FastifyInstance) => {
    const store = await openStore(app.config.STORE_URL, { timeoutMs: app.config.STORE_TIMEOUT_MS })
    try {
      await store.ensureCalendar(initialCalendar(app.config))
    } catch (error) {
      await store.close()
      throw error
    }
    app.decorate('store', store)
    app.addHook('onClose', async () => {
      await store.close()
    })
  },
  { name: 'store', dependencies: ['env'] },
)
