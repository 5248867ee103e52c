import type { HousekeepingPort } from '../port.js'
import { inTransaction } from './connection.js'
import { purgeChangesBefore } from './event-sync.js'
import type { PostgresContext } from './postgres-context.js'
import { toTimestamp } from './rows.js'

/** The worker's housekeeping on PostgreSQL: expired records and the old change history go. */
export function makePostgresHousekeeping(context: PostgresContext): HousekeepingPort {
  const { pool } = context
  return {
    async purgeExpired(before) {
      const cutoff = toTimestamp(before)
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM idempotency_keys WHERE created_at < $1', [cutoff])
        await client.query(`DELETE FROM jobs WHERE state IN ('completed', 'failed') AND finished_at < $1`, [
          cutoff,
        ])
        await client.query(
          'DELETE FROM outbox_messages WHERE dispatched_at IS NOT NULL AND dispatched_at < $1',
          [cutoff],
        )
        await client.query('DELETE FROM webhook_deliveries WHERE at < $1', [cutoff])
      })
    },

    async purgeEventChanges(before) {
      await inTransaction(pool, (client) => purgeChangesBefore(client, before))
    },
  }
}
