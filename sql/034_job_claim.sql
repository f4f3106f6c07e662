-- 034: the workers' claims planned the same way every time (issue 12).
--
-- A claim wants the first due jobs in claim order and no more. Its one
-- statement, "pending and due OR running with a lapsed lease", has no index
-- order, so PostgreSQL fetched every candidate and sorted them: with
-- statistics taken while few jobs were pending (a quiet shop's table of done
-- jobs) and a flash sale's 20,000 posts waiting, 18 ms for each job_claim
-- and 16 ms for each job_claim_more, and FOR UPDATE keeps the LIMIT from
-- bounding the sort. Here each half is claimed on its own, in index order
-- (jobs_due_rank / jobs_due; lapsed leases are few), and the best of both
-- taken. Sorts and bitmap scans are off inside these functions only (their
-- SET clauses; such functions are never inlined), which leaves the ordered
-- index scans whatever the statistics say. Rows of the other half locked
-- and not taken are released when the claiming statement commits.
--
-- JIT is off in them too: a sort that cannot be avoided (the lapsed half,
-- the final pick of two) carries the planner's penalty for a disabled node,
-- which passes jit_above_cost, and compiling the plan took 200-370 ms a
-- call. The same holds for inbox_claim_pending (sql/033), whose plan has no
-- sort but must not pay for compiling one if it ever gets one.

-- The next job to run: the lowest rank, then the oldest (jobs.c, job_claim).
CREATE FUNCTION job_pick_next() RETURNS SETOF bigint
LANGUAGE sql
SET enable_bitmapscan = off
SET enable_sort = off
SET jit = off
AS $$
    WITH due AS (SELECT id, rank, run_at FROM jobs
                  WHERE state = 'pending' AND run_at <= now()
                  ORDER BY rank, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED),
         lapsed AS (SELECT id, rank, run_at FROM jobs
                     WHERE state = 'running' AND lease_until < now()
                     ORDER BY rank, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
    SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM lapsed) c
     ORDER BY rank, run_at, id LIMIT 1
$$;

-- Up to p_limit more jobs of one kind and shop, oldest first (job_claim_more).
CREATE FUNCTION job_pick_more(p_kind text, p_shop text, p_limit integer) RETURNS SETOF bigint
LANGUAGE sql
SET enable_bitmapscan = off
SET enable_sort = off
SET jit = off
AS $$
    WITH due AS (SELECT id, run_at FROM jobs
                  WHERE state = 'pending' AND run_at <= now() AND kind = p_kind AND shop = p_shop
                  ORDER BY run_at, id LIMIT p_limit FOR UPDATE SKIP LOCKED),
         lapsed AS (SELECT id, run_at FROM jobs
                     WHERE state = 'running' AND lease_until < now() AND kind = p_kind
                       AND shop = p_shop
                     ORDER BY run_at, id LIMIT p_limit FOR UPDATE SKIP LOCKED)
    SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM lapsed) c
     ORDER BY run_at, id LIMIT p_limit
$$;

ALTER FUNCTION inbox_claim_pending(integer, integer, integer, bigint, integer) SET jit = off;
