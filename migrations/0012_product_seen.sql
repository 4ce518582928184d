-- commerce-syncd schema, version 12: seeing an unchanged product again no longer rewrites its
-- wide row. Conventions: see 0001_initial.sql.

-- When a pass last saw a product of a platform that reports deletions itself (products.scope
-- ''), read again unchanged. Such a re-read used to set products.last_seen_at, rewriting a row of
-- about a kilobyte (raw_json) per record and the whole table on every full re-read; this narrow
-- row costs a few bytes. The time a product was last seen is the later of
-- products.last_seen_at (inserted, changed, or a scoped row seen) and this row's: the view
-- products_last_seen below, status and export read it so. Scoped rows (Qianmi, Wshoto) keep
-- products.last_seen_at, which products_by_scope indexes for their deletion sweeps.
CREATE TABLE product_seen (
    account      TEXT NOT NULL,
    external_id  TEXT NOT NULL,                 -- products.external_id
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (account, external_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER products_seen_delete AFTER DELETE ON products BEGIN
    DELETE FROM product_seen WHERE account = OLD.account AND external_id = OLD.external_id;
END;

CREATE VIEW products_last_seen AS
    SELECT p.account, p.external_id,
           max(p.last_seen_at, coalesce(s.last_seen_at, '')) AS last_seen_at
    FROM products p LEFT JOIN product_seen s USING (account, external_id);
