import pg from 'pg'

/**
 * A digest of every row of every table of a PostgreSQL database (the store's whole state): per table the row
 * count and the sum of hashes of each row version's place and creating transaction (`ctid`, `xmin`). A row
 * added, removed or changed (PostgreSQL writes a new version for every update) shows, and no column is read,
 * so large values (attachments) cost nothing. Equal digests before and after a request mean the request
 * changed nothing. One round trip: cheap enough to take around every request of a long run.
 */
export async function openStoreDigest(url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const tables = await client.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  )
  const parts = tables.rows.map(
    ({ name }) =>
      `SELECT ${pg.escapeLiteral(name)} AS name, ` +
      `count(*) || '/' || coalesce(sum(hashtext(row.ctid::text || row.xmin::text)::bigint), 0) AS digest ` +
      `FROM ${pg.escapeIdentifier(name)} AS row`,
  )
  const sql = `SELECT string_agg(name || ':' || digest, ' ' ORDER BY name) AS digest FROM (${parts.join(' UNION ALL ')}) AS tables`
  return {
    tables: tables.rows.map(({ name }) => name),
    /** `table:count/hash-sum …` for every table, in name order. */
    async digest(): Promise<string> {
      const result = await client.query<{ digest: string }>(sql)
      return result.rows[0]?.digest ?? ''
    },
    close: () => client.end(),
  }
}

/** The tables whose digest differs between two `digest()` results. */
export function changedTables(before: string, after: string): string[] {
  const old = new Map(before.split(' ').map((part) => part.split(':') as [string, string]))
  return after
    .split(' ')
    .map((part) => part.split(':') as [string, string])
    .filter(([name, digest]) => old.get(name) !== digest)
    .map(([name]) => name)
}
