-- commerce-syncd schema: the unified catalogue and persisted per-account HTTP figures.
-- Conventions: see 0001_initial.sql.

-- A shop account takes its ERP stock from another account (config `link: { stock_from: ERP }`).
-- Written by the daemon at start-up and on every valid SIGHUP reload: it always mirrors the
-- configuration, a link removed from the configuration is removed here.
CREATE TABLE account_links (
    account    TEXT NOT NULL PRIMARY KEY REFERENCES accounts (name),  -- the shop account
    stock_from TEXT NOT NULL REFERENCES accounts (name),              -- the ERP account
    updated_at TEXT NOT NULL
) STRICT;

-- The unified catalogue: each product of a linked shop account beside the stock the linked ERP
-- account publishes for the same merchant code (products.sku = stock_levels.sku). One row per
-- product and ERP stock line (warehouse); a product the ERP does not know appears once, with the
-- erp_* columns NULL. Quantities and prices stay exact decimal text.
--   SELECT sku, title, price, platform_stock, erp_stock FROM catalogue WHERE shop_account = 'x';
CREATE VIEW catalogue AS
SELECT l.account            AS shop_account,
       l.stock_from         AS erp_account,
       p.sku                AS sku,
       p.external_id        AS external_id,
       p.title              AS title,
       p.price              AS price,
       p.currency           AS currency,
       p.status             AS status,
       p.stock              AS platform_stock,
       s.warehouse          AS erp_warehouse,
       s.quantity           AS erp_stock,
       s.last_seen_at       AS erp_stock_seen_at
FROM account_links l
JOIN products p ON p.account = l.account
LEFT JOIN stock_levels s ON s.account = l.stock_from AND s.sku = p.sku AND p.sku <> '';

-- Per account: its HTTP figures since the daemon started, as /metrics shows them, saved at the
-- end of every cycle so that `commerce-syncd status` (another process) can show them too.
CREATE TABLE account_metrics (
    account            TEXT NOT NULL PRIMARY KEY REFERENCES accounts (name),
    responses_json     TEXT NOT NULL DEFAULT '{}',  -- {"200": n, "503": n, ...}
    transport_errors   INTEGER NOT NULL DEFAULT 0,  -- requests without a usable answer
    rate_limit_wait_us INTEGER NOT NULL DEFAULT 0,  -- time waited for the account's rate limit
    updated_at         TEXT NOT NULL
) STRICT;
