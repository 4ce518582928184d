-- commerce-syncd schema, version 3: orders with their lines, and product images.
-- Conventions: see 0001_initial.sql.

-- One row per order. `status` is normalized; `platform_status` keeps the platform's own value.
CREATE TABLE orders (
    account            TEXT NOT NULL REFERENCES accounts (name),
    external_id        TEXT NOT NULL,
    status             TEXT NOT NULL
                       CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled', 'completed',
                                         'unknown')),
    platform_status    TEXT,
    currency           TEXT,                    -- ISO 4217
    total_amount       TEXT,                    -- exact decimal text, in `currency`
    created_at         TEXT,                    -- when the order was placed on the platform
    source_modified_at TEXT,
    first_seen_at      TEXT NOT NULL,
    last_seen_at       TEXT NOT NULL,
    content_hash       TEXT NOT NULL,
    raw_json           TEXT NOT NULL,
    PRIMARY KEY (account, external_id)
) STRICT;

CREATE INDEX orders_by_created_at ON orders (account, created_at);

-- The lines of an order, in the platform's order (`line_number` from 1). They are replaced as a
-- whole whenever their order changes, in the same transaction.
CREATE TABLE order_lines (
    account           TEXT NOT NULL,
    order_external_id TEXT NOT NULL,
    line_number       INTEGER NOT NULL,
    line_id           TEXT,                     -- the platform's id of the line
    sku               TEXT,
    title             TEXT,
    quantity          TEXT NOT NULL,            -- exact decimal text
    unit_price        TEXT,                     -- exact decimal text
    amount            TEXT,                     -- exact decimal text
    PRIMARY KEY (account, order_external_id, line_number),
    FOREIGN KEY (account, order_external_id) REFERENCES orders (account, external_id)
        ON DELETE CASCADE
) STRICT;

CREATE INDEX order_lines_by_sku ON order_lines (account, sku);

-- One row per image of a product, by position (0 = main image).
CREATE TABLE images (
    account             TEXT NOT NULL REFERENCES accounts (name),
    product_external_id TEXT NOT NULL,          -- products.external_id
    position            INTEGER NOT NULL,
    url                 TEXT NOT NULL,
    source_modified_at  TEXT,
    first_seen_at       TEXT NOT NULL,
    last_seen_at        TEXT NOT NULL,
    content_hash        TEXT NOT NULL,
    PRIMARY KEY (account, product_external_id, position)
) STRICT;
