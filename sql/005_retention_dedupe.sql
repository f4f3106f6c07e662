-- 005: retention and replayed bodies.
--
-- A redelivery of a body already stored for the same order (same bytes,
-- hence the same updated_at) under a new webhook id is recorded as
-- 'duplicate' without storing the body again: 10,000 replays of one signed
-- body used to store 10,000 copies of a customer's name and address.
ALTER TABLE webhook_events ALTER COLUMN body DROP NOT NULL;
ALTER TABLE webhook_events ADD COLUMN body_sha256 bytea;
CREATE INDEX webhook_events_order_body ON webhook_events (order_id, body_sha256)
    WHERE order_id IS NOT NULL;
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_outcome_check;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_outcome_check
    CHECK (outcome IN ('stored', 'ignored', 'failed', 'stale', 'duplicate'));
