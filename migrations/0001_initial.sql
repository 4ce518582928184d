-- commerce-syncd schema, version 1: accounts, the catalogue (categories, products) and the sync
-- bookkeeping (cursors, runs, change feed, dead letters).
--
-- This database is a contract: merchants query it directly. Conventions for every table:
--   * times are UTC ISO-8601 text, second precision: '2023-09-23T02:01:02Z';
--   * money and quantities are exact decimal text ('2.66', '-0.5', '100'), never REAL:
--     compare them with CAST only when an approximation is acceptable;
--   * a text field the platform did not send is NULL (never the empty string);
--   * `account` is the account name from the YAML configuration (accounts.name);
--   * `external_id` is the platform's own business key of the record;
--   * `first_seen_at` / `last_seen_at` say when a sync first / last received the record;
--     `source_modified_at` is the platform's own modification time (converted to UTC);
--   * `content_hash` (16 hex chars) changes exactly when a normalized field or `raw_json`
--     changes; `raw_json` is the record exactly as the platform sent it.
-- The table `schema_version(version, name, applied_at)` is kept by commerce-syncd itself and lists
-- the migrations applied to this file.

-- One row per configured account. A parked account (wrong credentials, disabled by the
-- platform) is skipped until its configuration changes; `state_reason` says why.
CREATE TABLE accounts (
    name         TEXT NOT NULL PRIMARY KEY,
    platform     TEXT NOT NULL,                 -- sunsky | wangdiantong | ...
    state        TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'parked')),
    state_reason TEXT NOT NULL DEFAULT '',      -- empty when state = 'ok'
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

-- One row per platform category.
CREATE TABLE categories (
    account            TEXT NOT NULL REFERENCES accounts (name),
    external_id        TEXT NOT NULL,
    parent_external_id TEXT,                    -- NULL for a top-level category
    code               TEXT,
    name               TEXT,
    status             TEXT,                    -- active | inactive | deleted
    source_modified_at TEXT,
    first_seen_at      TEXT NOT NULL,
    last_seen_at       TEXT NOT NULL,
    content_hash       TEXT NOT NULL,
    raw_json           TEXT NOT NULL,
    PRIMARY KEY (account, external_id)
) STRICT;

CREATE INDEX categories_by_parent ON categories (account, parent_external_id);

-- One row per sellable SKU. Variants of one article share `parent_external_id`.
-- A product the platform reports as removed keeps its row with status = 'deleted'.
CREATE TABLE products (
    account              TEXT NOT NULL REFERENCES accounts (name),
    external_id          TEXT NOT NULL,         -- the SKU's key on the platform (Sunsky itemNo)
    parent_external_id   TEXT,                  -- variant group (Sunsky groupItemNo)
    sku                  TEXT,                  -- merchant code; links stock_levels.sku
    barcode              TEXT,
    title                TEXT,
    brand                TEXT,
    category_external_id TEXT,                  -- categories.external_id of the same account
    price                TEXT,                  -- exact decimal text, in `currency`
    currency             TEXT,                  -- ISO 4217, e.g. 'USD'
    stock                INTEGER,               -- units available as the platform reports them
    status               TEXT NOT NULL
                         CHECK (status IN ('active', 'inactive', 'deleted', 'out_of_stock')),
    source_modified_at   TEXT,
    first_seen_at        TEXT NOT NULL,
    last_seen_at         TEXT NOT NULL,
    content_hash         TEXT NOT NULL,
    raw_json             TEXT NOT NULL,
    PRIMARY KEY (account, external_id)
) STRICT;

CREATE INDEX products_by_sku ON products (account, sku);

-- The committed cursor of each (account, stream): where its next cycle resumes. It is written
-- in the same transaction as the records before it, so it never runs ahead of the data.
-- Deleting a row (commerce-syncd reset-cursor) makes the stream start from the beginning.
CREATE TABLE sync_state (
    account    TEXT NOT NULL REFERENCES accounts (name),
    stream     TEXT NOT NULL,                   -- products | categories | stock | ...
    cursor     TEXT NOT NULL,                   -- JSON, the platform adapter's own shape
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, stream)
) STRICT;

-- One row per sync cycle of a stream. `finished_at` is NULL while the cycle runs (or when the
-- process died during it); `error` is NULL for a successful cycle.
CREATE TABLE sync_runs (
    id            INTEGER PRIMARY KEY,
    account       TEXT NOT NULL REFERENCES accounts (name),
    stream        TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    pages         INTEGER NOT NULL DEFAULT 0,   -- pages committed
    requests      INTEGER NOT NULL DEFAULT 0,   -- HTTP requests, retries included
    inserted      INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    unchanged     INTEGER NOT NULL DEFAULT 0,
    deleted       INTEGER NOT NULL DEFAULT 0,
    dead_lettered INTEGER NOT NULL DEFAULT 0,
    error         TEXT
) STRICT;

CREATE INDEX sync_runs_by_stream ON sync_runs (account, stream, id);

-- The change feed: one row per record inserted, updated or deleted, in commit order.
-- Downstream tools remember the last `id` they processed and read `WHERE id > ?`.
-- For images, `external_id` is the product's external_id.
-- Unchanged records (same content_hash) produce no row.
CREATE TABLE changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account     TEXT NOT NULL REFERENCES accounts (name),
    entity      TEXT NOT NULL
                CHECK (entity IN ('product', 'category', 'stock_level', 'order', 'image')),
    external_id TEXT NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    -- the cycle that wrote it; NULL when written outside a recorded run or once that run is pruned
    run_id      INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL,
    changed_at  TEXT NOT NULL
) STRICT;

-- Records a platform sent that could not be mapped to a row. They never block their stream.
-- The same (account, stream, record_key) seen again increments `attempts` (and reopens a
-- resolved letter); once a record with that key applies cleanly, `resolved_at` is set.
-- `record_key` is "field=value" (e.g. 'itemNo=A1') or the bare external_id; a record without a
-- usable key gets 'payload#<content hash of the payload>'.
CREATE TABLE dead_letters (
    id            INTEGER PRIMARY KEY,
    account       TEXT NOT NULL REFERENCES accounts (name),
    stream        TEXT NOT NULL,
    record_key    TEXT NOT NULL,
    payload       TEXT NOT NULL,                -- the record as received
    error         TEXT NOT NULL,                -- why it could not be mapped (latest attempt)
    attempts      INTEGER NOT NULL DEFAULT 1,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    resolved_at   TEXT,                         -- NULL while unresolved
    UNIQUE (account, stream, record_key)
) STRICT;

CREATE INDEX dead_letters_unresolved ON dead_letters (account, stream) WHERE resolved_at IS NULL;
