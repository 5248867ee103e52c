import type { Store } from './port.js'
import { createPostgresStore } from './postgres/postgres-store.js'

/**
 * Opens the store that `url` names: `postgres://` or `postgresql://` → PostgreSQL, `mongodb://` or
 * `mongodb+srv://` → MongoDB. The MongoDB driver is loaded only when it is chosen.
 */
export async function openStore(url: string): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return createPostgresStore(url)
    case 'mongodb':
    case 'mongodb+srv': {
      const { createMongoStore } = await import('./mongodb/mongo-store.js')
      return createMongoStore(url)
    }
    default:
      throw new Error(
        'Unsupported store URL: expected a postgres://, postgresql://, mongodb:// or mongodb+srv:// URL',
      )
  }
}
