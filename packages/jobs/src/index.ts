export * from './ids.js'
export * from './queues.js'
export * from './redis-connection.js'
