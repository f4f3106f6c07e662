-- 004: gauges off the request path, and data retention.
--
-- The /metrics gauges count live jobs only (pending, running, dead): this
-- partial index answers that without reading the done ones.
CREATE INDEX jobs_live ON jobs (kind, state) WHERE state <> 'done';

-- Retention (SHOPVOX_RETENTION_DAYS) deletes processed deliveries and done
-- jobs in small batches; these indexes find them without a full scan.
CREATE INDEX jobs_done_finished ON jobs (finished_at) WHERE state = 'done';
