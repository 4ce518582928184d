-- commerce-syncd schema, version 2: stock figures published by ERPs (Wangdiantong
-- api_goodsspec). Conventions: see 0001_initial.sql.

-- One row per stock line of the platform and warehouse. `quantity` is exact decimal text (ERPs
-- send Decimal(19,4)). `product_external_id` links the line to the product of the same account
-- whose `sku` equals this `sku` (the ERP's match code); it is NULL while no such product is
-- known and is kept up to date as products arrive or change their sku.
CREATE TABLE stock_levels (
    account             TEXT NOT NULL REFERENCES accounts (name),
    external_id         TEXT NOT NULL,          -- the platform's id of the line (rec_id)
    sku                 TEXT,                   -- merchant code (match_code)
    warehouse           TEXT NOT NULL DEFAULT '',  -- '' when the figure covers all warehouses
    quantity            TEXT NOT NULL,          -- exact decimal text
    change_count        INTEGER NOT NULL DEFAULT 0,  -- the platform's change counter
    product_external_id TEXT,                   -- products.external_id, NULL when unmatched
    source_modified_at  TEXT,
    first_seen_at       TEXT NOT NULL,
    last_seen_at        TEXT NOT NULL,
    content_hash        TEXT NOT NULL,
    raw_json            TEXT NOT NULL,
    PRIMARY KEY (account, external_id, warehouse)
) STRICT;

CREATE INDEX stock_levels_by_sku ON stock_levels (account, sku);
CREATE INDEX stock_levels_by_product ON stock_levels (account, product_external_id);
