-- 006: the rate limiter shared by every replica.
--
-- One token bucket per outside API and store. Every outbound call takes a
-- token with one UPDATE that refills by the time elapsed on the database's
-- clock (capped at the burst) and takes a whole token if there is one
-- (adapters/ratelimit_store.c; the arithmetic is domain/ratelimit.c).
-- The rate and the burst are not stored: they come from the configuration
-- with each statement, so a changed budget applies at once.
CREATE TABLE rate_buckets (
    api text NOT NULL CHECK (api IN ('peoplevox', 'shopline')),
    shop text NOT NULL,
    tokens double precision NOT NULL CHECK (tokens >= 0),
    updated_at timestamptz NOT NULL,   -- refilled up to here; later than now() while a
                                       -- Retry-After holds the refill back
    slow_until timestamptz,            -- refills at half rate before this (after a refusal)
    PRIMARY KEY (api, shop)
);
