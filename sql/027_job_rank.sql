-- 027: claim order by the kind's priority (jobs.h, job_kind_priority_set).
--
-- A stock take queues thousands of LOW set_inventory jobs, all due at
-- once; claiming by run_at alone put a paid order's post_sales_order (and a
-- despatch's create_fulfillment) behind every one of them, each claimed,
-- refused a token and rescheduled in turn. rank is the kind's priority at
-- enqueue (0 HIGH, 1 NORMAL, 2 LOW): workers take the lowest rank due,
-- then the oldest. (024-026 are left to parts landing beside this one.)
ALTER TABLE jobs ADD COLUMN rank smallint NOT NULL DEFAULT 1 CHECK (rank BETWEEN 0 AND 2);
CREATE INDEX jobs_due_rank ON jobs (rank, run_at, id) WHERE state = 'pending';
