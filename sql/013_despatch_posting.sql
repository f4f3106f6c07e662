-- 013: when create_fulfillment first sent a despatch's POST (issue 8).
--
-- Set, and committed, just before the POST leaves. An attempt that finds it
-- set lists the order's fulfillments before creating (an earlier attempt
-- may have created it and died before recording); one that finds it NULL
-- knows no POST was ever sent and creates straight away, so an attempt
-- throttled before its POST (no token) does not cost a list call later.
-- (011 and 012 belong to the inventory work.)
ALTER TABLE despatches ADD COLUMN post_started_at timestamptz;
