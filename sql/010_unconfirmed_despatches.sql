-- 010: the unconfirmed-despatch watch (issue 8, monitoring the loop).
--
-- Every minute the leader looks for despatches not confirmed in Shopline
-- SHOPVOX_UNCONFIRMED_DESPATCH_S after they were recorded: pending ones
-- (007 indexes them) and failed ones, which stay failed for good once
-- Shopline refused them; this index keeps that arm off a full scan of a
-- table that only grows.
CREATE INDEX despatches_failed_idx ON despatches (created_at) WHERE state = 'failed';
