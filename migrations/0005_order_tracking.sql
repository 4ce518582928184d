-- commerce-syncd schema: what a merchant needs to follow an order after it was placed
-- (Sunsky order!getOrderDetails.do). Conventions: see 0001_initial.sql.

ALTER TABLE orders ADD COLUMN subtotal_amount TEXT;     -- exact decimal: the lines' amount
ALTER TABLE orders ADD COLUMN shipping_cost TEXT;       -- exact decimal, in `currency`
ALTER TABLE orders ADD COLUMN pack_status TEXT;         -- the platform's own packing state code
ALTER TABLE orders ADD COLUMN shipping_way TEXT;        -- the carrier / shipping method's name
ALTER TABLE orders ADD COLUMN tracking_number TEXT;
ALTER TABLE orders ADD COLUMN paid_at TEXT;             -- UTC; NULL while unpaid
ALTER TABLE orders ADD COLUMN shipped_at TEXT;          -- UTC; NULL while not shipped
ALTER TABLE orders ADD COLUMN site_number TEXT;         -- the merchant's own order reference
ALTER TABLE orders ADD COLUMN delivery_address TEXT;    -- JSON object as the platform sent it

CREATE INDEX orders_by_tracking_number ON orders (account, tracking_number);
