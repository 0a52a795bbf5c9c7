-- FROZEN: schemas/schema.sql as it was at version 1 (commit 91eb925), the
-- fixture tests/scenarios/migration.sh migrates. Never edit it; a later
-- version adds its own frozen copy.
-- relayaudit database schema, version 1 (PRAGMA user_version = 1).
-- The names of tables and columns here are the SQL contract of DESIGN.md:
-- add columns freely, rename none. Later versions are reached through
-- schemas/migrations/<version>.sql, applied in order.

-- The ingest ledger: one row per file, known by the SHA-256 of its first
-- fp_len bytes after decompression (fp_len = min(64 KiB, size)).
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL,     -- where it was last read from
    source      TEXT NOT NULL,     -- gateway | proxy | map
    format      TEXT NOT NULL,
    fp          TEXT NOT NULL,
    fp_len      INTEGER NOT NULL,
    gzip        INTEGER NOT NULL DEFAULT 0,
    offset      INTEGER NOT NULL DEFAULT 0, -- decompressed bytes consumed
    line_no     INTEGER NOT NULL DEFAULT 0, -- lines consumed up to offset
    size_read   INTEGER NOT NULL DEFAULT 0, -- bytes seen, an open tail too
    tail_table  TEXT,                       -- record taken from a last line
    tail_id     INTEGER,                    -- without newline (re-read)
    records     INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    complete    INTEGER NOT NULL DEFAULT 0, -- read to its end without error
    error       TEXT,
    reader_pid  INTEGER,                    -- the ingest reading it now
    dev         INTEGER, inode INTEGER, size INTEGER, mtime INTEGER,
    first_ts    INTEGER,                    -- when first ingested (UTC ms)
    last_ts     INTEGER                     -- when last read (UTC ms)
);
CREATE INDEX files_fp ON files(fp_len, fp);
CREATE INDEX files_path ON files(path);

-- Lines that did not fit their format, secrets redacted, at most 200 bytes.
CREATE TABLE rejects (
    id       INTEGER PRIMARY KEY,
    file_id  INTEGER REFERENCES files(id),
    path     TEXT NOT NULL,
    line_no  INTEGER NOT NULL,
    reason   TEXT NOT NULL,
    excerpt  TEXT
);

CREATE TABLE gateway_events (
    id             INTEGER PRIMARY KEY,
    file_id        INTEGER REFERENCES files(id),
    line_no        INTEGER,
    ts             INTEGER NOT NULL,  -- request start, UTC ms
    request_id     TEXT,
    caller         TEXT,
    caller_key     TEXT,              -- sha256 hex of the downstream key
    team           TEXT,
    session        TEXT,
    provider       TEXT,
    account        TEXT,
    egress_session TEXT,
    model          TEXT,
    route          TEXT,
    status         INTEGER,
    error_code     TEXT,
    error_message  TEXT,
    latency_ms     INTEGER,
    tokens_in      INTEGER,
    tokens_out     INTEGER,
    cost           REAL,
    client_ip      TEXT,
    user_agent     TEXT,
    headers_in     TEXT,              -- JSON [[name, value|null], ...]
    headers_out    TEXT,
    egress_ip      TEXT,
    hdr_in_fp      TEXT,              -- 16-hex header fingerprints
    hdr_out_fp     TEXT
);

CREATE TABLE proxy_events (
    id             INTEGER PRIMARY KEY,
    file_id        INTEGER REFERENCES files(id),
    line_no        INTEGER,
    ts             INTEGER NOT NULL,  -- request start, UTC ms
    request_id     TEXT,
    egress_session TEXT,
    client_ip      TEXT,
    egress_ip      TEXT,
    status         INTEGER,
    proxy_user     TEXT,
    country        TEXT,
    upstream_addr  TEXT,
    method         TEXT,
    dest_host      TEXT,
    dest_port      INTEGER,
    url            TEXT,
    result         TEXT,
    bytes          INTEGER,
    duration_ms    INTEGER
);

-- The declared map (relayaudit-map): the operator's intent.
CREATE TABLE map (
    id             INTEGER PRIMARY KEY,
    file_id        INTEGER REFERENCES files(id),
    line_no        INTEGER,
    caller         TEXT,
    account        TEXT,
    egress_session TEXT,
    country        TEXT,
    max_callers    INTEGER
);

CREATE TABLE links (
    gateway_id INTEGER NOT NULL UNIQUE REFERENCES gateway_events(id),
    proxy_id   INTEGER NOT NULL UNIQUE REFERENCES proxy_events(id),
    method     TEXT NOT NULL,   -- request_id | session
    dt_ms      INTEGER NOT NULL -- ts_proxy - ts_gateway
);

CREATE TABLE runs (
    id         INTEGER PRIMARY KEY,
    started    INTEGER NOT NULL,  -- UTC ms
    finished   INTEGER,
    since      INTEGER,           -- analysis window, UTC ms (NULL = open)
    until      INTEGER,
    params     TEXT NOT NULL,     -- JSON
    version    TEXT NOT NULL
);

CREATE TABLE bans (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER REFERENCES runs(id),
    source      TEXT NOT NULL,    -- gateway | proxy
    event_id    INTEGER NOT NULL,
    ts          INTEGER NOT NULL,
    account     TEXT,
    egress_session TEXT,
    request_id  TEXT,
    status      INTEGER,
    class       TEXT NOT NULL,    -- ban | quota | rate_limit | blocked
    rule        TEXT,             -- the classification rule that matched
    attribution TEXT NOT NULL,    -- own | request_id | link | map | window | ambiguous | none
    caller      TEXT,
    candidates  TEXT,             -- JSON array: callers when ambiguous
    active      TEXT              -- JSON array: callers on the account in the lookback
);

CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER REFERENCES runs(id),
    kind           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    sub            TEXT,          -- break or variant
    account        TEXT,
    caller         TEXT,
    session        TEXT,
    egress_session TEXT,
    ts             INTEGER,
    window_start   INTEGER,
    window_end     INTEGER,
    evidence       TEXT NOT NULL  -- JSON
);
