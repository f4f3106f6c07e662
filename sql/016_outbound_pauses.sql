-- 016: outbound calls paused for a shop (issue 10: the app was uninstalled).
--
-- A row means no call to Shopline or Peoplevox leaves for that shop: the
-- shared limiter's take reads it in the same statement as the bucket, so
-- the check costs no extra round trip, and a refused take is a throttled
-- retry (jobs wait, they do not fail). apps/installed_uninstalled with
-- operate UNINSTALL inserts it, INSTALL deletes it. (015 belongs to the
-- order sweep.)
CREATE TABLE outbound_pauses (
    shop       text PRIMARY KEY,
    reason     text NOT NULL,
    paused_at  timestamptz NOT NULL DEFAULT now()
);
