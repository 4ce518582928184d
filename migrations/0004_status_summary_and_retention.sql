-- commerce-syncd schema, version 4: status at a cost independent of history, and retention.
-- Conventions: see 0001_initial.sql.

-- Per stream, the ids of its latest run, latest successful run and latest failed run, kept by
-- the triggers below: /status, /metrics and /readyz read these rows instead of searching
-- sync_runs, and retention never prunes the runs they point at.
CREATE TABLE stream_run_summary (
    account             TEXT NOT NULL,
    stream              TEXT NOT NULL,
    last_run_id         INTEGER,
    last_success_run_id INTEGER,                -- finished without an error
    last_error_run_id   INTEGER,                -- ended with an error (stopped included)
    PRIMARY KEY (account, stream)
) STRICT;

INSERT INTO stream_run_summary (account, stream, last_run_id, last_success_run_id,
                                last_error_run_id)
    SELECT account, stream, max(id),
           max(CASE WHEN finished_at IS NOT NULL AND error IS NULL THEN id END),
           max(CASE WHEN error IS NOT NULL THEN id END)
    FROM sync_runs GROUP BY account, stream;

CREATE TRIGGER sync_runs_summary_begin AFTER INSERT ON sync_runs BEGIN
    INSERT INTO stream_run_summary (account, stream, last_run_id)
        VALUES (NEW.account, NEW.stream, NEW.id)
    ON CONFLICT (account, stream) DO UPDATE SET last_run_id = excluded.last_run_id;
END;

CREATE TRIGGER sync_runs_summary_finish AFTER UPDATE OF finished_at, error ON sync_runs
WHEN NEW.finished_at IS NOT NULL OR NEW.error IS NOT NULL BEGIN
    UPDATE stream_run_summary
       SET last_success_run_id = CASE WHEN NEW.finished_at IS NOT NULL AND NEW.error IS NULL
                                      THEN NEW.id ELSE last_success_run_id END,
           last_error_run_id = CASE WHEN NEW.error IS NOT NULL THEN NEW.id
                                    ELSE last_error_run_id END
     WHERE account = NEW.account AND stream = NEW.stream;
END;

-- Rows per account and record table, kept by triggers: status shows record counts without
-- counting rows on every request.
CREATE TABLE record_counts (
    account TEXT NOT NULL,
    tbl     TEXT NOT NULL,                      -- products | categories | stock_levels | ...
    records INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, tbl)
) STRICT;

INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'products', count(*) FROM products GROUP BY account;
INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'categories', count(*) FROM categories GROUP BY account;
INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'stock_levels', count(*) FROM stock_levels GROUP BY account;
INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'orders', count(*) FROM orders GROUP BY account;
INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'images', count(*) FROM images GROUP BY account;

CREATE TRIGGER products_counted_insert AFTER INSERT ON products BEGIN
    INSERT INTO record_counts (account, tbl, records) VALUES (NEW.account, 'products', 1)
    ON CONFLICT (account, tbl) DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER products_counted_delete AFTER DELETE ON products BEGIN
    UPDATE record_counts SET records = records - 1 WHERE account = OLD.account AND tbl = 'products';
END;

CREATE TRIGGER categories_counted_insert AFTER INSERT ON categories BEGIN
    INSERT INTO record_counts (account, tbl, records) VALUES (NEW.account, 'categories', 1)
    ON CONFLICT (account, tbl) DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER categories_counted_delete AFTER DELETE ON categories BEGIN
    UPDATE record_counts SET records = records - 1 WHERE account = OLD.account AND tbl = 'categories';
END;

CREATE TRIGGER stock_levels_counted_insert AFTER INSERT ON stock_levels BEGIN
    INSERT INTO record_counts (account, tbl, records) VALUES (NEW.account, 'stock_levels', 1)
    ON CONFLICT (account, tbl) DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER stock_levels_counted_delete AFTER DELETE ON stock_levels BEGIN
    UPDATE record_counts SET records = records - 1 WHERE account = OLD.account AND tbl = 'stock_levels';
END;

CREATE TRIGGER orders_counted_insert AFTER INSERT ON orders BEGIN
    INSERT INTO record_counts (account, tbl, records) VALUES (NEW.account, 'orders', 1)
    ON CONFLICT (account, tbl) DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER orders_counted_delete AFTER DELETE ON orders BEGIN
    UPDATE record_counts SET records = records - 1 WHERE account = OLD.account AND tbl = 'orders';
END;

CREATE TRIGGER images_counted_insert AFTER INSERT ON images BEGIN
    INSERT INTO record_counts (account, tbl, records) VALUES (NEW.account, 'images', 1)
    ON CONFLICT (account, tbl) DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER images_counted_delete AFTER DELETE ON images BEGIN
    UPDATE record_counts SET records = records - 1 WHERE account = OLD.account AND tbl = 'images';
END;

-- Pruning a run sets changes.run_id to NULL: without this index each pruned run would scan the
-- change feed.
CREATE INDEX changes_by_run ON changes (run_id);

-- Readers of the change feed. A consumer registers once with its name and the last change id it
-- has processed, and moves last_id forward as it reads (`WHERE id > last_id ORDER BY id`):
--   INSERT INTO change_consumers (name, last_id, updated_at)
--       VALUES ('erp-export', 0, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
--   UPDATE change_consumers SET last_id = ?, updated_at = ... WHERE name = 'erp-export';
-- Retention (`retention.changes`) never prunes a change that a registered consumer has not read.
-- Delete the consumer's row when it is retired, or it holds the feed back for good.
CREATE TABLE change_consumers (
    name       TEXT PRIMARY KEY,
    last_id    INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT
) STRICT;
