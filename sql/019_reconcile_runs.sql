-- 019: the reconciliation sweeps' runs (issue 10): orders vs warehouse and
-- despatches vs store, beside the missed-order-webhook sweep.
--
-- One run table for every sweep rather than one per sweep: a run of each
-- has the same life (requested by the schedule or an operator, a window,
-- pending -> running -> done | failed, counts, an error), the same store
-- module writes it and `shopvox report reconcile` reads the latest of each
-- from one place. So order_sweeps gains the sweep it belongs to and the
-- counts only the new sweeps fill; existing rows are the orders sweep's.
--   orders:     listed (orders read), recovered
--   warehouse:  listed (orders checked), missing, different, unknown
--   despatches: listed (despatches checked), requeued
-- since is the operator's window start (orders: --since; warehouse and
-- despatches: now - --days); window_from is the start the run used.
-- (017 and 018 belong to the returns work.)
ALTER TABLE order_sweeps ADD COLUMN sweep text NOT NULL DEFAULT 'orders'
    CHECK (sweep IN ('orders', 'warehouse', 'despatches'));
ALTER TABLE order_sweeps ADD COLUMN missing   integer NOT NULL DEFAULT 0;
ALTER TABLE order_sweeps ADD COLUMN different integer NOT NULL DEFAULT 0;
ALTER TABLE order_sweeps ADD COLUMN unknown   integer NOT NULL DEFAULT 0;
ALTER TABLE order_sweeps ADD COLUMN requeued  integer NOT NULL DEFAULT 0;
CREATE INDEX order_sweeps_latest ON order_sweeps (shop, sweep, id DESC);
