-- 011: the Shopline catalogue (issue 9): one row per product variant that
-- has a SKU, refreshed by the sync_variants job from products/products.json.
--
-- The inventory sync looks a Peoplevox item code up here (shop, sku) to
-- find the inventory item whose level it sets. A SKU on two variants is
-- ambiguous: the lookup answers "not found" and the catalogue sync opens a
-- duplicate_sku exception instead of guessing. inventory_item_id may be
-- NULL (Shopline may omit it). updated_at is when the row last changed.
CREATE TABLE variants (
    shop              text        NOT NULL,
    variant_id        text        NOT NULL,
    product_id        text        NOT NULL,
    sku               text        NOT NULL,
    inventory_item_id text,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, variant_id)
);

CREATE INDEX variants_shop_sku ON variants (shop, sku);
