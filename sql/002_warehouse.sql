-- 002: what posting orders to Peoplevox needs — the item catalogue mirrored
-- from Peoplevox, Shopline SKU aliases, site routing rules, per-site stock
-- (filled by the inventory sync), poller/scheduler cursors.

CREATE TABLE items (
    shop       text        NOT NULL,
    code       text        NOT NULL,
    barcode    text,
    name       text,
    active     boolean     NOT NULL DEFAULT true,
    synced_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, code)
);

CREATE TABLE sku_map (
    shop          text        NOT NULL,
    shopline_sku  text        NOT NULL,
    item_code     text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    PRIMARY KEY (shop, shopline_sku)
);

-- Evaluated by kind (location, country, stock, default), then position.
CREATE TABLE routing_rules (
    shop      text    NOT NULL,
    position  integer NOT NULL,
    kind      text    NOT NULL CHECK (kind IN ('location', 'country', 'stock', 'default')),
    match     text,
    site      text    NOT NULL,
    PRIMARY KEY (shop, position)
);

CREATE TABLE stock (
    shop        text        NOT NULL,
    item_code   text        NOT NULL,
    site        text        NOT NULL,
    available   integer     NOT NULL,
    pushed      integer,
    pushed_at   timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, item_code, site)
);

CREATE TABLE cursors (
    name        text PRIMARY KEY,
    value       text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Why an order is on hold, so a re-check knows which holds it may lift.
ALTER TABLE orders ADD COLUMN hold_reason text;
ALTER TABLE order_lines ADD COLUMN line_no integer;

-- A dead job must not block new work with the same key (a scheduled sync
-- that died once would otherwise never be scheduled again): only live jobs
-- (pending, running) are unique per (kind, dedupe_key).
DROP INDEX jobs_dedupe_live;
CREATE UNIQUE INDEX jobs_dedupe_live ON jobs (kind, dedupe_key) WHERE state IN ('pending', 'running');

-- (shop, name) let the planner, on a table without statistics yet, answer the
-- intake's "shop = $1 AND shopline_order_id = $2" lock through this index and
-- scan every order of the shop per webhook. Leading with name serves the
-- operator lookups by name and can never be mistaken for the order-id key.
DROP INDEX orders_name;
CREATE INDEX orders_name ON orders (name, shop);
