-- 031: the inbox first, the order logic just after (issue 12).
--
-- Under load a webhook is answered 200 once its raw delivery is committed
-- in webhook_events as 'pending' (one set-based INSERT and one COMMIT for
-- a whole group of deliveries); the applier (app/intake_apply.c) then runs
-- the order logic on the pending rows in arrival order and turns each into
-- the outcome an inline delivery gets (stored, duplicate, stale, failed,
-- ignored). A kill -9 in between loses nothing: the rows are durable and
-- any replica's applier takes them (FOR UPDATE SKIP LOCKED).
-- apply_attempts counts the applications that failed (an unexpected SQL
-- error); the fifth makes the row 'failed' with an invalid_webhook
-- exception rather than retrying it forever.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_outcome_check;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_outcome_check
    CHECK (outcome IN ('stored', 'ignored', 'failed', 'stale', 'duplicate', 'pending'));
-- order_key (the Shopline order id of an order topic's body, else NULL)
-- splits the pending rows between the applier's threads, so two threads
-- never hold rows of one order (and never deadlock on its row lock); one
-- order's rows are applied by one thread, in arrival order.
ALTER TABLE webhook_events ADD COLUMN apply_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN order_key text;
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE outcome = 'pending';
