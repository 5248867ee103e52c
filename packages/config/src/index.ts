export * from './config-schema.js'
export * from './load-config.js'
