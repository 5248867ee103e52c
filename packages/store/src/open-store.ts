import type { Store } from './port.js'
import { createPostgresStore } from './postgres/postgres-store.js'

export interface OpenStoreOptions {
  /**
   * The longest one store operation may wait on its server, in ms (STORE_TIMEOUT_MS): past it the
   * operation rejects with `StoreUnavailableError`. Each adapter's default is 10000.
   */
  timeoutMs?: number
}

/**
 * Opens the store that `url` names: `postgres://` or `postgresql://` → PostgreSQL, `mongodb://` or
 * `mongodb+srv://` → MongoDB. The MongoDB driver is loaded only when it is chosen.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return createPostgresStore(
        url,
        options.timeoutMs === undefined ? {} : { queryTimeoutMs: options.timeoutMs },
      )
    case 'mongodb':
    case 'mongodb+srv': {
      const { createMongoStore } = await import('./mongodb/mongo-store.js')
      return createMongoStore(url, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
    }
    default:
      throw new Error(
        'Unsupported store URL: expected a postgres://, postgresql://, mongodb:// or mongodb+srv:// URL',
      )
  }
}
