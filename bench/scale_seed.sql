-- bench/scale_seed.sql - stores orders lo .. hi-1 as a year of a shop's
-- history would have left them (bench/scale.sh; tests/integration/it_scale_seed.c).
--
-- Set-based (generate_series, INSERT ... SELECT), one transaction per call.
-- Every table an order occupies after intake, posting, despatch and
-- fulfilment gets its rows, through the real schema and its indexes:
--   orders           one row, every column the intake and the post fill
--   order_lines      2-3 lines (the load generator's 7 SKUs and quantities)
--   order_events     received, then each state change up to the order's state
--   despatches       one per despatched or fulfilled order, with its lines
--   webhook_events   the delivery's body while SHOPVOX_RETENTION_DAYS keeps it
--   jobs             the done post_sales_order, while retention keeps it
-- Order i is the load generator's order index i for --seed :seed (same
-- Shopline id, name and line ids; bench/loadgen/lg_payload.c), so a load
-- run with that seed and --orders above hi also updates stored orders.
-- Distributions: created uniformly over the last :days days (a pure hash of
-- i, so a bigger seed means a busier shop, not a longer history); older than
-- 3 days: 95% fulfilled, 4% cancelled, 0.5% not_for_warehouse, 0.5% on_hold;
-- newer: 60% sent, 20% despatched, 10% ready, 10% awaiting payment.
-- Rows already there (same shop and Shopline id) are left alone.
--
-- psql variables: lo, hi, seed (0..999999999), shop, days, retention_days.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
-- consistent by construction: no per-row foreign-key checks (the seed runs as
-- the cluster's superuser; bench/scale.sh)
SET session_replication_role = replica;
SET jit = off;              -- compiling the expressions cost more than running them
SET work_mem = '256MB';
BEGIN;
SELECT coalesce(max(id), 0) AS seed_base FROM orders \gset
SELECT coalesce(max(id), 0) AS seed_dbase FROM despatches \gset

CREATE TEMP TABLE seed_sku (k int PRIMARY KEY, sku text, title text, vtitle text, cents int)
    ON COMMIT DROP;
INSERT INTO seed_sku VALUES
    (0, 'VOX-TEE-BLK-M', 'Everyday Tee', 'Black / M', 2900),
    (1, 'VOX-TEE-WHT-L', 'Everyday Tee', 'White / L', 2900),
    (2, 'VOX-HOOD-GRY-M', 'Harbour Hoodie', 'Grey / M', 6900),
    (3, 'VOX-MUG-350', 'Enamel Mug', '350 ml', 1800),
    (4, 'VOX-CAP-NVY', 'Six-Panel Cap', 'Navy', 2400),
    (5, 'VOX-SOCK-3PK', 'Crew Socks', '3-pack', 1500),
    (6, 'VOX-TOTE-NAT', 'Canvas Tote', 'Natural', 2200);

CREATE TEMP TABLE seed_addr (k int PRIMARY KEY, a jsonb) ON COMMIT DROP;
INSERT INTO seed_addr VALUES
    (0, '{"name": "Mei Ling Tan", "first_name": "Mei Ling", "last_name": "Tan", "phone": "+65 6000 0001", "address1": "18 Example Road #04-12", "city": "Singapore", "country": "Singapore", "country_code": "SG", "zip": "059999"}'),
    (1, '{"name": "Wai Kit Chan", "first_name": "Wai Kit", "last_name": "Chan", "phone": "+852 3000 0002", "address1": "2 Sample Street, Flat 9B", "city": "Kowloon", "province": "Kowloon", "province_code": "KLN", "country": "Hong Kong", "country_code": "HK", "zip": "000000"}'),
    (2, '{"name": "Yi-Ting Lin", "first_name": "Yi-Ting", "last_name": "Lin", "phone": "+886 2 0000 0003", "address1": "No. 7, Test Lane", "city": "Taipei City", "province": "Taipei", "province_code": "TPE", "country": "Taiwan", "country_code": "TW", "zip": "100"}'),
    (3, '{"name": "Ahmad Ismail", "first_name": "Ahmad", "last_name": "Ismail", "phone": "+60 3 0000 0004", "address1": "12 Jalan Contoh", "city": "Kuala Lumpur", "province": "Kuala Lumpur", "province_code": "KL", "country": "Malaysia", "country_code": "MY", "zip": "50000"}');

-- The load generator's per-order draw h = mix64(seed + i) (splitmix64's
-- step, lg_int.h), in signed bigint with the unsigned 64-bit products done in
-- numeric: its lines, quantities and address, so that a delivery updating a
-- stored order carries the stored lines (an update, not an edit after the
-- post). g is the seeder's own draw, for the date and the state.
CREATE FUNCTION pg_temp.seed_lsr(b bigint, k int) RETURNS bigint IMMUTABLE LANGUAGE sql
    AS 'SELECT (b >> k) & ~(-1::bigint << (64 - k))';   -- logical shift, inlined
CREATE FUNCTION pg_temp.seed_mix64(u numeric) RETURNS bigint IMMUTABLE LANGUAGE plpgsql AS $$
DECLARE
    m CONSTANT numeric := 18446744073709551616;
    x numeric := (u + 11400714819323198485) % m;
    b bigint;
BEGIN
    b := CASE WHEN x >= 9223372036854775808 THEN (x - m)::bigint ELSE x::bigint END;
    b := b # pg_temp.seed_lsr(b, 30);
    x := ((CASE WHEN b < 0 THEN b + m ELSE b END) * 13787848793156543929) % m;
    b := CASE WHEN x >= 9223372036854775808 THEN (x - m)::bigint ELSE x::bigint END;
    b := b # pg_temp.seed_lsr(b, 27);
    x := ((CASE WHEN b < 0 THEN b + m ELSE b END) * 10723151780598845931) % m;
    b := CASE WHEN x >= 9223372036854775808 THEN (x - m)::bigint ELSE x::bigint END;
    RETURN b # pg_temp.seed_lsr(b, 31);
END $$;
CREATE TEMP TABLE seed_o ON COMMIT DROP AS
SELECT i, now() - make_interval(secs => 3600 + (g % (:days * 86400))) AS created,
       (g >> 24) % 1000 AS roll, (g % (:days * 86400)) < 3 * 86400 - 3600 AS recent,
       2 + (h & 1)::int AS n_lines, (pg_temp.seed_lsr(h, 8) % 7)::int AS first_sku,
       (pg_temp.seed_lsr(h, 40) % 4)::int AS addr,
       ARRAY[1 + pg_temp.seed_lsr(h, 16) % 3, 1 + pg_temp.seed_lsr(h, 20) % 3,
             1 + pg_temp.seed_lsr(h, 24) % 3]::int[] AS qty
  FROM generate_series(:lo::bigint, :hi::bigint - 1) AS i,
       LATERAL (SELECT hashint8extended(i, 12) & 9223372036854775807 AS g,
                       pg_temp.seed_mix64((:seed)::numeric + i) AS h OFFSET 0) AS hh;

INSERT INTO orders (shop, shopline_order_id, name, state, financial_status, fulfillment_status,
    shopline_status, currency, total_price, total_tax, total_discounts, shipping_price,
    shipping_title, shipping_code, email, phone, note, location_id, shipping_country, customer,
    shipping_address, billing_address, shopline_created_at, shopline_updated_at, cancelled_at,
    sales_order_number, site, post_started_at, sent_at, created_at, updated_at, ready_at,
    hold_reason)
SELECT :'shop', '2' || lpad((:seed)::text, 9, '0') || '10' || lpad(o.i::text, 14, '0'),
       '#' || (1001 + o.i), s.state,
       CASE s.state WHEN 'awaiting_payment' THEN 'pending' WHEN 'cancelled' THEN 'refunded'
                    ELSE 'paid' END,
       CASE s.state WHEN 'fulfilled' THEN 'fulfilled' END,
       CASE s.state WHEN 'cancelled' THEN 'cancelled' WHEN 'fulfilled' THEN 'closed'
                    ELSE 'open' END,
       'SGD', (p.cents + 500) / 100.0, 0, 0, 5,
       'Standard Shipping', 'standard', 'customer' || (o.i % 50000) || '@example.com',
       a.a ->> 'phone', '', '60000000000000000000000001', a.a ->> 'country_code',
       jsonb_build_object('id', '2' || lpad((:seed)::text, 9, '0') || '40'
                                || lpad((o.i % 50000)::text, 14, '0'),
                          'email', 'customer' || (o.i % 50000) || '@example.com',
                          'first_name', a.a ->> 'first_name', 'last_name', a.a ->> 'last_name',
                          'phone', a.a ->> 'phone'),
       a.a, a.a, o.created, o.created + t.last_step, 
       CASE s.state WHEN 'cancelled' THEN o.created + interval '2 hours' END,
       CASE WHEN t.posted THEN 'SL' || (1001 + o.i) END,
       CASE WHEN s.state NOT IN ('awaiting_payment', 'not_for_warehouse') THEN 'PrimarySite' END,
       CASE WHEN t.posted THEN o.created + interval '5 minutes' END,
       CASE WHEN t.posted THEN o.created + interval '5 minutes' END,
       o.created + interval '2 seconds', o.created + t.last_step,
       CASE WHEN s.state NOT IN ('awaiting_payment', 'not_for_warehouse') THEN o.created END,
       CASE s.state WHEN 'on_hold' THEN 'unknown_sku' END
  FROM seed_o AS o
  JOIN seed_addr AS a ON a.k = o.addr
  CROSS JOIN LATERAL (SELECT CASE
        WHEN NOT o.recent THEN CASE WHEN o.roll < 950 THEN 'fulfilled' WHEN o.roll < 990
            THEN 'cancelled' WHEN o.roll < 995 THEN 'not_for_warehouse' ELSE 'on_hold' END
        ELSE CASE WHEN o.roll < 600 THEN 'sent' WHEN o.roll < 800 THEN 'despatched'
            WHEN o.roll < 900 THEN 'ready' ELSE 'awaiting_payment' END END AS state) AS s
  CROSS JOIN LATERAL (SELECT s.state IN ('sent', 'despatched', 'fulfilled') AS posted,
        CASE s.state WHEN 'fulfilled' THEN interval '26 hours' WHEN 'despatched'
            THEN interval '25 hours' WHEN 'sent' THEN interval '5 minutes'
            WHEN 'cancelled' THEN interval '2 hours' ELSE interval '0' END AS last_step) AS t
  CROSS JOIN LATERAL (SELECT sum(k.cents * o.qty[g + 1]) AS cents
        FROM generate_series(0, o.n_lines - 1) AS g
        JOIN seed_sku AS k ON k.k = (o.first_sku + g) % 7) AS p
 ORDER BY o.i
    ON CONFLICT (shop, shopline_order_id) DO NOTHING;

-- The orders this call added, with their draw.
CREATE TEMP TABLE seed_new ON COMMIT DROP AS
SELECT d.id, d.state, d.created_at - interval '2 seconds' AS created, o.qty, o.n_lines,
       o.first_sku, o.i
  FROM orders AS d
  JOIN seed_o AS o ON o.i = right(d.shopline_order_id, 14)::bigint
 WHERE d.id > :seed_base AND d.shop = :'shop';

INSERT INTO order_lines (order_id, line_id, product_id, variant_id, sku, item_code, title,
    variant_title, quantity, price, location_id, requires_shipping, qty_despatched,
    qty_fulfilled, line_no)
SELECT n.id, '2' || lpad((:seed)::text, 9, '0') || '20' || lpad((n.i * 10 + g)::text, 14, '0'),
       '2000000000' || '30' || lpad(k.k::text, 14, '0'),
       '2000000000' || '31' || lpad(k.k::text, 14, '0'),
       k.sku, k.sku, k.title, k.vtitle, q.qty, k.cents / 100.0, '60000000000000000000000001',
       true, CASE WHEN n.state IN ('despatched', 'fulfilled') THEN q.qty ELSE 0 END,
       CASE WHEN n.state = 'fulfilled' THEN q.qty ELSE 0 END, g + 1
  FROM seed_new AS n
  CROSS JOIN LATERAL generate_series(0, n.n_lines - 1) AS g
  JOIN seed_sku AS k ON k.k = (n.first_sku + g) % 7
  CROSS JOIN LATERAL (SELECT n.qty[g + 1] AS qty) AS q
 ORDER BY n.id, g;

-- The history each state implies: (state, from, to, event, detail, after).
INSERT INTO order_events (order_id, at, from_state, to_state, event, detail)
SELECT n.id, n.created + e.after, e.from_state, e.to_state, e.event, e.detail
  FROM seed_new AS n
  JOIN (VALUES
    ('awaiting_payment', 1, NULL, 'awaiting_payment', 'received', 'orders/create', interval '0'),
    ('ready', 1, NULL, 'ready', 'received', 'orders/paid', interval '0'),
    ('not_for_warehouse', 1, NULL, 'not_for_warehouse', 'received', 'orders/paid', interval '0'),
    ('on_hold', 1, NULL, 'ready', 'received', 'orders/paid', interval '0'),
    ('on_hold', 2, 'ready', 'on_hold', 'unknown_sku', 'held: an item has no Peoplevox item code', interval '5 minutes'),
    ('cancelled', 1, NULL, 'ready', 'received', 'orders/paid', interval '0'),
    ('cancelled', 2, 'ready', 'cancelled', 'state_changed', 'orders/cancelled', interval '2 hours'),
    ('sent', 1, NULL, 'ready', 'received', 'orders/paid', interval '0'),
    ('sent', 2, 'ready', 'sent', 'sent', 'Sales Order created', interval '5 minutes'),
    ('despatched', 1, NULL, 'ready', 'received', 'orders/paid', interval '0'),
    ('despatched', 2, 'ready', 'sent', 'sent', 'Sales Order created', interval '5 minutes'),
    ('despatched', 3, 'sent', 'despatched', 'despatched', 'despatch read back', interval '25 hours'),
    ('fulfilled', 1, NULL, 'ready', 'received', 'orders/paid', interval '0'),
    ('fulfilled', 2, 'ready', 'sent', 'sent', 'Sales Order created', interval '5 minutes'),
    ('fulfilled', 3, 'sent', 'despatched', 'despatched', 'despatch read back', interval '25 hours'),
    ('fulfilled', 4, 'despatched', 'fulfilled', 'fulfilled', 'fulfillment created', interval '26 hours')
  ) AS e (state, step, from_state, to_state, event, detail, after) ON e.state = n.state
 ORDER BY n.id, e.step;

INSERT INTO despatches (despatch_number, order_id, tracking, carrier, service, despatched_at,
    shopline_fulfillment_id, state, confirmed_at, created_at)
SELECT 'DSP' || n.id, n.id, 'TRK' || lpad(n.i::text, 12, '0'), 'DHL', 'Express',
       n.created + interval '25 hours',
       CASE WHEN n.state = 'fulfilled' THEN '2' || lpad((:seed)::text, 9, '0') || '50'
                                            || lpad(n.i::text, 14, '0') END,
       CASE WHEN n.state = 'fulfilled' THEN 'fulfilled' ELSE 'pending' END,
       CASE WHEN n.state = 'fulfilled' THEN n.created + interval '26 hours' END,
       n.created + interval '25 hours'
  FROM seed_new AS n
 WHERE n.state IN ('despatched', 'fulfilled')
 ORDER BY n.id
    ON CONFLICT (despatch_number) DO NOTHING;

INSERT INTO despatch_lines (despatch_id, line_id, item_code, quantity)
SELECT d.id, l.line_id, l.item_code, l.quantity
  FROM despatches AS d
  JOIN order_lines AS l ON l.order_id = d.order_id
 WHERE d.id > :seed_dbase
 ORDER BY d.id, l.line_id;

-- Within retention: the delivery that brought the order (its body rebuilt
-- from what was stored) and the done post.
CREATE TEMP TABLE seed_recent ON COMMIT DROP AS
SELECT n.*, convert_to(json_build_object(
           'id', d.shopline_order_id, 'name', d.name, 'email', d.email, 'phone', d.phone,
           'currency', d.currency, 'financial_status', 'paid', 'fulfillment_status', NULL,
           'status', 'open', 'created_at', d.shopline_created_at,
           'processed_at', d.shopline_created_at, 'updated_at', d.shopline_created_at,
           'note', '', 'customer', d.customer, 'shipping_address', d.shipping_address,
           'billing_address', d.billing_address,
           'line_items', (SELECT json_agg(json_build_object('id', l.line_id,
                'product_id', l.product_id, 'variant_id', l.variant_id, 'sku', l.sku,
                'title', l.title, 'variant_title', l.variant_title, 'quantity', l.quantity,
                'fulfillable_quantity', l.quantity, 'price', l.price::text,
                'location_id', l.location_id, 'requires_shipping', true) ORDER BY l.line_no)
                FROM order_lines AS l WHERE l.order_id = d.id),
           'shipping_lines', json_build_array(json_build_object('title', 'Standard Shipping',
                'code', 'standard', 'price', '5.00')),
           'subtotal_price', (d.total_price - 5)::text, 'total_tax', '0.00',
           'total_discounts', '0.00', 'total_price', d.total_price::text,
           'fulfillments', json_build_array(), 'refunds', json_build_array())::text,
           'UTF8') AS body
  FROM seed_new AS n
  JOIN orders AS d ON d.id = n.id
 WHERE n.created > now() - make_interval(days => :retention_days);

INSERT INTO webhook_events (shop, webhook_id, topic, api_version, headers, body, outcome,
    order_id, received_at, body_sha256, source)
SELECT :'shop', md5('seed-' || (:seed)::text || '-' || r.i)::uuid::text,
       CASE r.state WHEN 'awaiting_payment' THEN 'orders/create' ELSE 'orders/paid' END,
       'v20260301', jsonb_build_object('X-Shopline-Topic', 'orders/paid',
           'X-Shopline-Shop-Domain', :'shop'),
       r.body, 'stored', r.id, r.created + interval '1 second', sha256(r.body), 'webhook'
  FROM seed_recent AS r
 ORDER BY r.created
    ON CONFLICT (shop, webhook_id) DO NOTHING;

INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts, run_at, locked_by,
    created_at, updated_at, finished_at, rank)
SELECT :'shop', 'post_sales_order', r.id::text, jsonb_build_object('order_id', r.id), 'done', 1,
       r.created + interval '2 seconds', 'seed', r.created + interval '2 seconds',
       r.created + interval '5 minutes', r.created + interval '5 minutes', 0
  FROM seed_recent AS r
 WHERE r.state IN ('sent', 'despatched', 'fulfilled')
 ORDER BY r.created;

SELECT count(*) AS seeded FROM seed_new;
COMMIT;
