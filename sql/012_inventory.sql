-- 012: the inventory sync (issue 9). stock (002) keeps Peoplevox's
-- Available per item x site; these columns say when it was read, what
-- shopvox wants Shopline to show (available minus the in-flight
-- reservation) and what Shopline last accepted or refused, so a push is
-- made only when the wanted value differs from the pushed one.
ALTER TABLE stock ADD COLUMN read_at timestamptz;      -- when the read that gave `available` began
ALTER TABLE stock ADD COLUMN desired integer;          -- the value to publish (>= 0)
ALTER TABLE stock ADD COLUMN desired_at timestamptz;
ALTER TABLE stock ADD COLUMN pushed_location text;     -- the Shopline location `pushed` was set at
ALTER TABLE stock ADD COLUMN refused integer;          -- a value Shopline refused (422: the item is
                                                       -- not connected to the location): not retried

-- Item codes Peoplevox's AvailabilityChanges callbacks named, read by the
-- next sync_inventory run (a row hinted again during a read stays).
CREATE TABLE inventory_hints (
    shop       text        NOT NULL,
    item_code  text        NOT NULL,
    hinted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, item_code)
);

-- The reservation counts orders sent to Peoplevox after a stock row was
-- read (its Available does not show them yet): found by sent_at.
CREATE INDEX orders_sent_at ON orders (sent_at) WHERE sent_at IS NOT NULL;
