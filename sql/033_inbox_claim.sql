-- 033: the applier's claim of pending rows, planned the same way every time
-- (issue 12).
--
-- The claim must walk webhook_events_pending in id order and stop after
-- p_limit rows of its partition. The planner chose that only while its
-- statistics knew how many rows were pending; pending rows come and go in
-- bursts, so after a quiet spell it estimated a few hundred when 40,000
-- were there, read them all (bitmap scan), sorted them with their bodies
-- on disk (25 MB) and kept 32: 127 ms a claim, up to 244, for the first
-- seconds of every backlog. Bitmap scans and sorts are off inside this
-- function only (its SET clauses; such a function is never inlined), which
-- leaves the ordered index scan.
--
-- p_after: the claim takes ids above it (0: from the start), see
-- include/claim_cursor.h. p_attempts: rows whose application failed that
-- often are left alone (the applier made them 'failed' already).
CREATE FUNCTION inbox_claim_pending(p_limit integer, p_part integer, p_parts integer,
                                    p_after bigint, p_attempts integer)
RETURNS TABLE (id bigint, shop text, webhook_id text, topic text, api_version text,
               headers text, body bytea)
LANGUAGE sql
SET enable_bitmapscan = off
SET enable_sort = off
AS $$
    SELECT w.id, w.shop, w.webhook_id, w.topic, w.api_version, w.headers::text, w.body
      FROM webhook_events w
     WHERE w.outcome = 'pending' AND w.id > p_after AND w.apply_attempts < p_attempts
       AND (hashtext(coalesce(w.order_key, '')) & 2147483647) % p_parts = p_part
     ORDER BY w.id
     LIMIT p_limit
       FOR UPDATE SKIP LOCKED
$$;
