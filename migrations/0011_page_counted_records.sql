-- commerce-syncd schema, version 11: record_counts grows once per page, not once per row, and
-- products_by_scope indexes only the rows a sync pass owns.
-- Conventions: see 0001_initial.sql.

-- The page writer is the only writer of these tables' rows: it adds the rows a page inserted to
-- record_counts in the page's transaction, with one statement per table instead of a trigger
-- firing per row (that trigger was the largest single cost of a first sync). Deletions keep their
-- triggers: they are rare, and may come from retention or from a merchant's own SQL.
DROP TRIGGER products_counted_insert;
DROP TRIGGER categories_counted_insert;
DROP TRIGGER stock_levels_counted_insert;
DROP TRIGGER orders_counted_insert;
DROP TRIGGER images_counted_insert;
DROP TRIGGER ledger_counted_insert;
DROP TRIGGER countries_counted_insert;

-- Counted afresh: a row inserted by hand before this version is counted like any other.
DELETE FROM record_counts
    WHERE tbl IN ('products', 'categories', 'stock_levels', 'orders', 'images', 'ledger', 'countries');
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
INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'ledger', count(*) FROM ledger GROUP BY account;
INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'countries', count(*) FROM countries GROUP BY account;

-- Only full-pass platforms (Qianmi, Wshoto) give products a scope and look for the rows a pass
-- did not see; the others (scope '') paid for an index entry per row, rewritten on every re-read
-- as last_seen_at moved. Readers of unseen rows name `scope <> ''` so this index serves them.
DROP INDEX products_by_scope;
CREATE INDEX products_by_scope ON products (account, scope, last_seen_at) WHERE scope <> '';
