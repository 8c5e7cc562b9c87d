/**
 * The schema, as an ordered list of migrations. `PRAGMA user_version` is the number of migrations
 * applied; opening a database applies the missing ones in one transaction. Append, never edit a
 * migration that has shipped.
 *
 * Conventions: ids (click ids, txids, offer ids…) are TEXT exactly as received; timestamps are
 * UTC ISO 8601 TEXT (`2026-11-29T06:35:16.000Z`) so they sort and compare as text; money is
 * INTEGER micro-units (1 USD = 1_000_000), never REAL.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: imports, clicks, conversions, rejects, runs, postbacks, the mock tracker's tables */ `
  CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('clicks', 'conversions')),
    source        TEXT NOT NULL,
    preset        TEXT,
    file          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    rows          INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    finished_at   TEXT
  );
  CREATE UNIQUE INDEX imports_content ON imports (kind, source, sha256);

  -- What a command sent: tpb click, tpb fire, tpb check.
  CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    command       TEXT NOT NULL,
    target        TEXT,              -- URL or template, secrets redacted
    options_json  TEXT,
    summary_json  TEXT,
    started_at    TEXT NOT NULL,
    finished_at   TEXT
  );

  CREATE TABLE clicks (
    id            INTEGER PRIMARY KEY,
    import_id     INTEGER REFERENCES imports (id) ON DELETE CASCADE,
    run_id        INTEGER REFERENCES runs (id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    line          INTEGER,
    click_id      TEXT,              -- NULL when a simulated click captured no id
    occurred_at   TEXT,
    offer_id      TEXT,
    affiliate_id  TEXT,
    sub1          TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
    ip            TEXT,
    user_agent    TEXT,
    -- tpb click only
    request_url   TEXT,
    http_status   INTEGER,
    location      TEXT,
    latency_ms    REAL,
    error         TEXT
  );

  CREATE TABLE conversions (
    id             INTEGER PRIMARY KEY,
    import_id      INTEGER REFERENCES imports (id) ON DELETE CASCADE,
    run_id         INTEGER REFERENCES runs (id) ON DELETE CASCADE,
    source         TEXT NOT NULL,
    line           INTEGER,
    click_id       TEXT,
    occurred_at    TEXT,
    conversion_id  TEXT,
    txid           TEXT,
    event          TEXT,
    status         TEXT,
    payout_micros  INTEGER,
    revenue_micros INTEGER,
    currency       TEXT,
    offer_id       TEXT,
    affiliate_id   TEXT,
    sub1           TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
    ip             TEXT,
    user_agent     TEXT
  );

  CREATE TABLE rejects (
    id            INTEGER PRIMARY KEY,
    import_id     INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line          INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    raw           TEXT
  );

  CREATE TABLE postbacks (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    method        TEXT NOT NULL,
    url           TEXT NOT NULL,     -- secrets redacted
    click_id      TEXT,
    txid          TEXT,
    event         TEXT,
    status        TEXT,
    payout_micros INTEGER,
    http_status   INTEGER,
    body_excerpt  TEXT,
    latency_ms    REAL,
    attempts      INTEGER NOT NULL DEFAULT 1,
    verdict       TEXT NOT NULL,     -- pass | fail | error
    reason        TEXT,
    sent_at       TEXT NOT NULL
  );
  CREATE INDEX postbacks_run ON postbacks (run_id);

  -- The embedded mock tracker (tpb serve --db).
  CREATE TABLE mock_clicks (
    id            INTEGER PRIMARY KEY,
    preset        TEXT NOT NULL,
    click_id      TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    offer_id      TEXT,
    affiliate_id  TEXT,
    sub1          TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
    ip            TEXT,
    user_agent    TEXT
  );
  CREATE INDEX mock_clicks_click_id ON mock_clicks (click_id);

  -- Every postback the mock tracker received, with what it made of it; only "recorded" rows are
  -- conversions (the export), the rest are its postback log. Click fields are copied from the click.
  CREATE TABLE mock_conversions (
    id             INTEGER PRIMARY KEY,
    preset         TEXT NOT NULL,
    click_id       TEXT,
    occurred_at    TEXT NOT NULL,
    conversion_id  TEXT,
    txid           TEXT,
    event          TEXT,
    status         TEXT,
    payout_micros  INTEGER,
    revenue_micros INTEGER,
    currency       TEXT,
    offer_id       TEXT,
    affiliate_id   TEXT,
    sub1           TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
    ip             TEXT,
    user_agent     TEXT,
    outcome        TEXT NOT NULL,    -- recorded | duplicate | unknown_click | rejected
    reason         TEXT,             -- why it was not recorded, in the tracker's words
    dedupe_key     TEXT              -- the preset's duplicate rule applied to this postback
  );
  CREATE INDEX mock_conversions_dedupe ON mock_conversions (preset, dedupe_key) WHERE outcome = 'recorded';
  CREATE INDEX mock_conversions_click_id ON mock_conversions (click_id);
  `,
  /* 2: tpb catch — every request the receiver caught, with its answer and the forwarded answer */ `
  CREATE TABLE caught_requests (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,  -- 1-based order of arrival within the run
    received_at      TEXT NOT NULL,
    method           TEXT NOT NULL,
    path             TEXT NOT NULL,     -- decoded path, secrets redacted
    query_raw        TEXT,              -- the query as received, secrets redacted
    query_json       TEXT,              -- [[name, value], ...] in order, repeats kept, secrets redacted
    headers_json     TEXT NOT NULL,     -- [[name, value], ...] as received, secrets redacted
    body             TEXT,              -- at most --max-body bytes, secrets redacted
    body_bytes       INTEGER NOT NULL DEFAULT 0,
    body_truncated   INTEGER NOT NULL DEFAULT 0,
    remote_addr      TEXT,
    click_id         TEXT,
    click_id_param   TEXT,
    http_status      INTEGER,           -- what tpb catch answered; NULL when it dropped the connection
    fault            TEXT,              -- fail | reset, when injected
    rule             TEXT,              -- the --rules entry that answered
    latency_ms       REAL,
    forward_url      TEXT,
    forward_status   INTEGER,
    forward_body     TEXT,
    forward_error    TEXT,
    forward_latency_ms REAL
  );
  CREATE INDEX caught_requests_run ON caught_requests (run_id, seq);
  CREATE INDEX caught_requests_click_id ON caught_requests (click_id);
  `,
  /* 3: what an import's stored values depend on besides its bytes, and whether its times carried an offset */ `
  -- JSON of the options that change stored values (preset, column mapping, timezone, decimal comma,
  -- delimiter): the same bytes ingested with other options are another import. NULL: not recorded.
  ALTER TABLE imports ADD COLUMN options_json TEXT;
  -- Rows whose timestamp had no offset, so it was read in the import's timezone (--timezone can
  -- change them). NULL: not recorded.
  ALTER TABLE imports ADD COLUMN naive_times INTEGER;
  `,
  /* 4: which copy of a postback a row is (tpb fire --repeat, the duplicate test) */ `
  -- 1 for a postback's first send; 2..N for the copies sent to see the tracker refuse a duplicate
  -- (they are not stored as tpb:fire conversions).
  ALTER TABLE postbacks ADD COLUMN copy INTEGER NOT NULL DEFAULT 1;
  `,
];

/**
 * Indexes reconcile needs. Built after bulk loads (CREATE INDEX over a loaded table is much cheaper
 * than maintaining the index row by row during the load).
 */
export const RECONCILE_INDEXES: readonly string[] = [
  'CREATE INDEX IF NOT EXISTS clicks_click_id ON clicks (click_id, occurred_at)',
  'CREATE INDEX IF NOT EXISTS clicks_import ON clicks (import_id)',
  'CREATE INDEX IF NOT EXISTS clicks_source ON clicks (source)',
  'CREATE INDEX IF NOT EXISTS conversions_click_id ON conversions (click_id)',
  'CREATE INDEX IF NOT EXISTS conversions_import ON conversions (import_id)',
  'CREATE INDEX IF NOT EXISTS conversions_source ON conversions (source)',
  'CREATE INDEX IF NOT EXISTS rejects_import ON rejects (import_id)',
];

/** Tables a user may export with `tpb db export`. */
export const EXPORTABLE_TABLES = [
  'imports',
  'clicks',
  'conversions',
  'rejects',
  'runs',
  'postbacks',
  'mock_clicks',
  'mock_conversions',
  'caught_requests',
] as const;
export type ExportableTable = (typeof EXPORTABLE_TABLES)[number];
