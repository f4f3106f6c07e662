-- 030: lock or create an order at intake in one round trip (issue 12).
--
-- order_store_lock_or_create ran SELECT ... FOR UPDATE, then, for a new
-- order, INSERT ... ON CONFLICT DO NOTHING RETURNING id (and locked again
-- when a concurrent delivery created it in between): two round trips for
-- every new order. This is the same loop server-side, statement for
-- statement (each with its own snapshot, as before), so the outcome under
-- concurrency is unchanged. o_id is NULL when two attempts found neither
-- (the caller reports "could not lock order").
CREATE FUNCTION intake_lock_order(p_shop text, p_order text, p_name text, p_state text,
                                  OUT o_id bigint, OUT o_state text, OUT o_updated_ms bigint,
                                  OUT o_post_started boolean, OUT o_created boolean)
LANGUAGE plpgsql AS $$
BEGIN
    FOR attempt IN 1..2 LOOP
        SELECT o.id, o.state, (extract(epoch FROM o.shopline_updated_at) * 1000)::bigint,
               o.post_started_at IS NOT NULL, false
          INTO o_id, o_state, o_updated_ms, o_post_started, o_created
          FROM orders o WHERE o.shop = p_shop AND o.shopline_order_id = p_order FOR UPDATE;
        IF FOUND THEN
            RETURN;
        END IF;
        INSERT INTO orders AS o (shop, shopline_order_id, name, state)
        VALUES (p_shop, p_order, p_name, p_state)
        ON CONFLICT (shop, shopline_order_id) DO NOTHING RETURNING o.id INTO o_id;
        IF FOUND THEN
            o_state := p_state;
            o_updated_ms := NULL;
            o_post_started := false;
            o_created := true;
            RETURN;
        END IF;
    END LOOP;
    o_id := NULL;
END
$$;
