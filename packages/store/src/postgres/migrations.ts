/** One schema change; `version`s are applied once each, in ascending order. */
export interface Migration {
  version: number
  name: string
  sql: string
}

// Ids and keys use the "C" collation so that they sort bytewise, as in JavaScript and MongoDB: list
// cursors depend on every adapter ordering ties the same way.
const initialSchema = `
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE calendars (
  calendar_id text COLLATE "C" PRIMARY KEY,
  settings jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  calendar_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  title text NOT NULL,
  description text,
  location text,
  attendees jsonb NOT NULL,
  duration_minutes integer NOT NULL,
  placement text NOT NULL CHECK (placement IN ('auto', 'fixed')),
  placement_window jsonb,
  requested_start timestamptz,
  start_at timestamptz,
  end_at timestamptz,
  status text NOT NULL CHECK (status IN ('pending', 'scheduled', 'completed', 'cancelled', 'failed')),
  failure jsonb,
  attendee_conflicts jsonb NOT NULL,
  outside_working_hours boolean NOT NULL,
  version integer NOT NULL,
  sequence integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- The start order's key: unplaced events sort last. A non-null key keeps the list cursor a plain
  -- row comparison that the index can seek to.
  sort_start timestamptz GENERATED ALWAYS AS (COALESCE(start_at, 'infinity'::timestamptz)) STORED,
  PRIMARY KEY (calendar_id, id),
  CONSTRAINT events_time_ordered CHECK (end_at >= start_at),
  CONSTRAINT events_scheduled_has_time
    CHECK (status <> 'scheduled' OR (start_at IS NOT NULL AND end_at IS NOT NULL)),
  -- The guarantee that occupying events never overlap. Deferred to commit so that a plan may move
  -- several events through states that overlap only between its statements.
  CONSTRAINT events_no_overlap EXCLUDE USING gist (
    calendar_id WITH =,
    tstzrange(start_at, end_at, '[)') WITH &&
  ) WHERE (status = 'scheduled') DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX events_by_start ON events (calendar_id, sort_start, created_at, id);
CREATE INDEX events_by_updated ON events (calendar_id, updated_at, id);
CREATE INDEX events_by_status ON events (calendar_id, status, start_at);
CREATE INDEX events_by_end ON events (calendar_id, end_at) WHERE end_at IS NOT NULL;

CREATE TABLE jobs (
  calendar_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  type text NOT NULL CHECK (type IN ('create', 'update', 'cancel', 'delete')),
  event_id text COLLATE "C" NOT NULL,
  state text NOT NULL CHECK (state IN ('queued', 'active', 'completed', 'failed')),
  payload jsonb NOT NULL,
  outcome jsonb,
  error jsonb,
  created_at timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (calendar_id, id)
);
CREATE INDEX jobs_unfinished ON jobs (created_at, id) WHERE state IN ('queued', 'active');
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('completed', 'failed');
CREATE INDEX jobs_by_event ON jobs (calendar_id, event_id);

CREATE TABLE idempotency_keys (
  calendar_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  request_hash text NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (calendar_id, key)
);
CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created_at);

CREATE TABLE attendee_busy (
  position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  calendar_id text COLLATE "C" NOT NULL,
  email text COLLATE "C" NOT NULL,
  start_at timestamptz NOT NULL,
  end_at timestamptz NOT NULL
);
CREATE INDEX attendee_busy_by_email ON attendee_busy (calendar_id, email, start_at);

CREATE TABLE webhooks (
  calendar_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  url text NOT NULL,
  events jsonb NOT NULL,
  description text,
  secret text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (calendar_id, id)
);
CREATE INDEX webhooks_by_created ON webhooks (calendar_id, created_at, id);

CREATE TABLE outbox_messages (
  id text COLLATE "C" PRIMARY KEY,
  -- Insertion order: the messages of one plan share a creation time but must leave in order.
  position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  calendar_id text COLLATE "C" NOT NULL,
  type text NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  dispatched_at timestamptz
);
CREATE INDEX outbox_undispatched ON outbox_messages (created_at, position) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_dispatched ON outbox_messages (dispatched_at) WHERE dispatched_at IS NOT NULL;

CREATE TABLE webhook_deliveries (
  id text COLLATE "C" PRIMARY KEY,
  position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  calendar_id text COLLATE "C" NOT NULL,
  webhook_id text COLLATE "C" NOT NULL,
  message_id text COLLATE "C" NOT NULL,
  type text NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  attempt integer NOT NULL,
  status text NOT NULL CHECK (status IN ('succeeded', 'failed', 'retrying')),
  response_status integer,
  error text,
  at timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_by_webhook
  ON webhook_deliveries (calendar_id, webhook_id, at DESC, position DESC);
CREATE INDEX webhook_deliveries_by_at ON webhook_deliveries (at);
`

// Attachments live with their event: the foreign key refuses an attachment of an unknown event and
// deletes an event's attachments in the same statement (so in the same transaction) as the event.
const attachments = `
CREATE TABLE attachments (
  calendar_id text COLLATE "C" NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  filename text NOT NULL,
  content_type text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content bytea NOT NULL,
  created_at timestamptz NOT NULL,
  -- Also the index that the listing and the cascading delete use (its prefix is the foreign key).
  PRIMARY KEY (calendar_id, event_id, id),
  CONSTRAINT attachments_size_matches CHECK (octet_length(content) = size),
  CONSTRAINT attachments_event_fk FOREIGN KEY (calendar_id, event_id)
    REFERENCES events (calendar_id, id) ON DELETE CASCADE
);
`

// ICS feed tokens (issue 13): only the token's SHA-256 is kept; the feed looks tokens up by it.
const feedTokens = `
CREATE TABLE feed_tokens (
  calendar_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  label text,
  token_hash text COLLATE "C" NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (calendar_id, id)
);
CREATE INDEX feed_tokens_by_created ON feed_tokens (calendar_id, created_at, id);
`

// The change log behind sync tokens and listings that never skip (issue 10). A trigger writes one row per
// event row written, in the writer's own transaction, whichever process writes: the API's creates and the
// worker's plans alike. `xid` is that transaction's id: a reader holding a `pg_snapshot` knows exactly which
// changes it has seen (`pg_visible_in_snapshot`) and which commit later, however late, so a token is a
// snapshot and never a wall-clock time. `event_change_horizon` says which tokens are still answerable:
// `purged_through` (changes of transactions up to it may have been purged), `purge_snapshot` (the snapshot
// of the last purge: a token that saw all it saw misses nothing) and `epoch` (random per database, so a
// token from another database is unknown).
const eventChanges = `
CREATE TABLE event_changes (
  position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  calendar_id text COLLATE "C" NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  deleted boolean NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX event_changes_by_xid ON event_changes (calendar_id, xid, event_id);
CREATE INDEX event_changes_by_event ON event_changes (calendar_id, event_id, position);
CREATE INDEX event_changes_by_changed ON event_changes (changed_at);

CREATE TABLE event_change_horizon (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  epoch text NOT NULL,
  purged_through xid8 NOT NULL,
  purge_snapshot pg_snapshot
);
INSERT INTO event_change_horizon (epoch, purged_through) VALUES (gen_random_uuid()::text, '0');

CREATE FUNCTION record_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO event_changes (calendar_id, event_id, deleted) VALUES (OLD.calendar_id, OLD.id, true);
  ELSE
    INSERT INTO event_changes (calendar_id, event_id, deleted) VALUES (NEW.calendar_id, NEW.id, false);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER events_record_change AFTER INSERT OR UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION record_event_change();
`

// The calendar's revision: bumped by every write that affects placement (settings, busy times, plans,
// failed jobs), in that write's transaction. The placement worker plans against an in-memory calendar
// of one revision and commits only if it is still current.
const calendarRevision = `
ALTER TABLE calendars ADD COLUMN revision bigint NOT NULL DEFAULT 0;
`

/** The schema, in order. Append new migrations; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: initialSchema },
  { version: 2, name: 'attachments', sql: attachments },
  { version: 3, name: 'feed tokens', sql: feedTokens },
  { version: 4, name: 'event change log', sql: eventChanges },
  { version: 5, name: 'calendar revision', sql: calendarRevision },
]
