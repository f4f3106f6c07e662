-- 015: orders recovered from Shopline by the missed-webhook sweep (issue 10).
--
-- An order the sweep applies is recorded in webhook_events like a delivery,
-- with source 'sweep' and no webhook id, headers or body (the listing's
-- bytes are not a delivery's; the order itself is in orders). A webhook
-- row always has its id. (014 is not used by this part.)
ALTER TABLE webhook_events ADD COLUMN source text NOT NULL DEFAULT 'webhook'
    CHECK (source IN ('webhook', 'sweep'));
ALTER TABLE webhook_events ALTER COLUMN webhook_id DROP NOT NULL;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_id_of_source
    CHECK ((source = 'webhook') = (webhook_id IS NOT NULL));

-- One row per sweep run: scheduled (since NULL: from the watermark) or
-- asked for by `shopvox reconcile orders` (since given). The job's payload
-- names its row; the CLI's --wait reads it back.
CREATE TABLE order_sweeps (
    id           bigserial PRIMARY KEY,
    shop         text        NOT NULL,
    requested    text        NOT NULL CHECK (requested IN ('schedule', 'operator')),
    since        timestamptz,
    window_from  timestamptz,
    state        text        NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'done', 'failed')),
    pages        integer     NOT NULL DEFAULT 0,
    listed       integer     NOT NULL DEFAULT 0,
    recovered    integer     NOT NULL DEFAULT 0,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz
);
CREATE INDEX order_sweeps_recent ON order_sweeps (created_at);
