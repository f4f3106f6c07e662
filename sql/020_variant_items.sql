-- 020: the Peoplevox item code of each Shopline variant (issue 9: SKU
-- aliases in the inventory sync).
--
-- Orders already follow sku_map (002): a Shopline SKU mapped there is sent
-- to Peoplevox as the mapped item code. Stock comes back under that item
-- code, so the inventory sync must find the variant through the same
-- alias: a variant's item code is its SKU's sku_map code when there is
-- one, else the SKU itself. An item code is pushed only when exactly one
-- variant carries it (two are a guess, as for duplicate SKUs). Every
-- inventory statement (the plan, the push's lookup, the reconciliation,
-- the unmatched counts) reads variants through this view, so the rule is
-- written once (variants_of_item below is its per-item form). (017-019
-- belong to returns and reconciliation.)
CREATE VIEW variant_items AS
    SELECT v.shop, coalesce(m.item_code, v.sku) AS item_code, v.sku, v.variant_id,
           v.product_id, v.inventory_item_id
    FROM variants v
    LEFT JOIN sku_map m ON m.shop = v.shop AND m.shopline_sku = v.sku;

-- The variants of one item code, found through the (shop, sku) index: the
-- code as a SKU, and the SKUs sku_map sends as it. For the per-level
-- lookups (the plan's "exactly one variant", the push's inventory item),
-- whose cost must not grow with the catalogue.
CREATE FUNCTION variants_of_item(p_shop text, p_code text) RETURNS SETOF variant_items
LANGUAGE sql STABLE AS $$
    SELECT * FROM variant_items
    WHERE shop = p_shop AND item_code = p_code
      AND sku IN (SELECT p_code UNION ALL
                  SELECT shopline_sku FROM sku_map WHERE shop = p_shop AND item_code = p_code)
$$;
