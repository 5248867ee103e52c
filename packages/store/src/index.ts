export { type CursorKeys, cursorKeysOf, decodeCursor, encodeCursor, type ListOrder } from './cursor.js'
export { openStore } from './open-store.js'
export * from './port.js'
export { createPostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.js'
