export * from './busy-times.js'
export {
  type CursorKeys,
  cursorKeysOf,
  decodeListCursor,
  encodeListCursor,
  type ListCursor,
  type ListOrder,
} from './cursor.js'
export { type OpenStoreOptions, openStore } from './open-store.js'
export * from './port.js'
export { createPostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.js'
export { decodeSyncToken, encodeSyncToken, type SyncPoint } from './sync-token.js'
