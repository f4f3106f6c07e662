-- 001: the spine — webhook inbox, orders and their lines, order history,
-- the durable job queue and the exception queue. Every business row carries
-- its shop so one deployment can later serve several shop/warehouse pairs.

CREATE TABLE webhook_events (
    id           bigserial PRIMARY KEY,
    shop         text        NOT NULL,
    webhook_id   text        NOT NULL,
    topic        text        NOT NULL,
    api_version  text,
    headers      jsonb       NOT NULL DEFAULT '{}',
    body         bytea       NOT NULL,
    verified     boolean     NOT NULL DEFAULT true,
    outcome      text        NOT NULL CHECK (outcome IN ('stored', 'ignored', 'failed', 'stale')),
    error        text,
    order_id     bigint,
    received_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (shop, webhook_id)
);
CREATE INDEX webhook_events_received ON webhook_events (received_at);

CREATE TABLE orders (
    id                   bigserial PRIMARY KEY,
    shop                 text        NOT NULL,
    shopline_order_id    text        NOT NULL,
    name                 text        NOT NULL,
    state                text        NOT NULL CHECK (state IN ('awaiting_payment', 'ready', 'sent',
                             'partially_despatched', 'despatched', 'fulfilled', 'on_hold', 'cancelled')),
    financial_status     text,
    fulfillment_status   text,
    shopline_status      text,
    currency             text,
    total_price          numeric(20, 4),
    total_tax            numeric(20, 4),
    total_discounts      numeric(20, 4),
    shipping_price       numeric(20, 4),
    shipping_title       text,
    shipping_code        text,
    email                text,
    phone                text,
    note                 text,
    location_id          text,
    shipping_country     text,
    customer             jsonb,
    shipping_address     jsonb,
    billing_address      jsonb,
    shopline_created_at  timestamptz,
    shopline_updated_at  timestamptz,
    cancelled_at         timestamptz,
    sales_order_number   text UNIQUE,
    site                 text,
    post_started_at      timestamptz,
    sent_at              timestamptz,
    lines_changed_after_post boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (shop, shopline_order_id)
);
CREATE INDEX orders_state ON orders (state, updated_at);
CREATE INDEX orders_name ON orders (shop, name);

CREATE TABLE order_lines (
    order_id          bigint  NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_id           text    NOT NULL,
    product_id        text,
    variant_id        text,
    sku               text,
    item_code         text,
    title             text,
    variant_title     text,
    quantity          integer NOT NULL CHECK (quantity >= 0),
    price             numeric(20, 4),
    location_id       text,
    requires_shipping boolean NOT NULL DEFAULT true,
    qty_despatched    integer NOT NULL DEFAULT 0,
    qty_fulfilled     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_id)
);
CREATE INDEX order_lines_sku ON order_lines (sku);

-- Every state change and notable event of an order: "what happened to #1001".
CREATE TABLE order_events (
    id          bigserial PRIMARY KEY,
    order_id    bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    from_state  text,
    to_state    text,
    event       text        NOT NULL,
    detail      text
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- The durable queue (transactional outbox). A job is unique per
-- (kind, dedupe_key) while it is not done, so enqueueing twice is a no-op.
CREATE TABLE jobs (
    id            bigserial PRIMARY KEY,
    shop          text        NOT NULL,
    kind          text        NOT NULL,
    dedupe_key    text        NOT NULL,
    payload       jsonb       NOT NULL DEFAULT '{}',
    state         text        NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'running', 'done', 'dead')),
    attempts      integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL DEFAULT 12,
    run_at        timestamptz NOT NULL DEFAULT now(),
    lease_until   timestamptz,
    locked_by     text,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE UNIQUE INDEX jobs_dedupe_live ON jobs (kind, dedupe_key) WHERE state <> 'done';
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'pending';
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'running';

-- What people must look at. One open row per (shop, type, subject); a
-- recurrence bumps count and last_seen instead of adding rows.
CREATE TABLE exceptions (
    id            bigserial PRIMARY KEY,
    shop          text        NOT NULL,
    type          text        NOT NULL,
    team          text        NOT NULL,
    subject_kind  text        NOT NULL,
    subject       text        NOT NULL,
    order_id      bigint REFERENCES orders (id) ON DELETE SET NULL,
    detail        text        NOT NULL,
    action        text,
    state         text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    count         integer     NOT NULL DEFAULT 1,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz,
    resolved_by   text,
    resolution    text
);
CREATE UNIQUE INDEX exceptions_one_open ON exceptions (shop, type, subject) WHERE state = 'open';
CREATE INDEX exceptions_state ON exceptions (state, type);
