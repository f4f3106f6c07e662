-- 023: an id for each SKU mapping, so the admin API pages the mappings
-- newest first with the same opaque id cursor as every other list
-- (GET /api/v1/sku-mappings). Existing rows are numbered in table order;
-- a re-mapped SKU (ON CONFLICT DO UPDATE) keeps its id. (022 belongs to
-- the ops page.)
ALTER TABLE sku_map ADD COLUMN id bigserial;
CREATE UNIQUE INDEX sku_map_shop_id ON sku_map (shop, id DESC);
