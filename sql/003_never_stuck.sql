-- 003: orders never get stuck.
--
-- jobs.rerun_requested: work asked for while the job was running (a
-- catalogue sync re-checking a held order whose post job is mid-flight) is
-- not lost: the running job, when it finishes, goes back to pending once.
-- jobs.uncounted_attempts: attempts that do not count against
-- max_attempts: refusals that say nothing was applied (Peoplevox throttling)
-- and every attempt before a requested re-run.
ALTER TABLE jobs ADD COLUMN rerun_requested boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ADD COLUMN uncounted_attempts integer NOT NULL DEFAULT 0;

-- When the order became ready (paid) for the first time: the stalled-order
-- alarm measures from here, not from updated_at, which every retry bumps.
ALTER TABLE orders ADD COLUMN ready_at timestamptz;
UPDATE orders o SET ready_at = coalesce(
    (SELECT min(e.at) FROM order_events e WHERE e.order_id = o.id AND e.to_state = 'ready'),
    o.updated_at)
 WHERE o.state <> 'awaiting_payment';

-- A paid order with nothing for the warehouse to ship (no lines, every
-- quantity 0, or nothing that requires shipping) never becomes a Sales Order.
ALTER TABLE orders DROP CONSTRAINT orders_state_check;
ALTER TABLE orders ADD CONSTRAINT orders_state_check CHECK (state IN ('awaiting_payment',
    'ready', 'sent', 'partially_despatched', 'despatched', 'fulfilled', 'on_hold', 'cancelled',
    'not_for_warehouse'));
