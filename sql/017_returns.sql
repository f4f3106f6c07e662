-- 017: returns (issue 10), SHOPLINE side and the state machine's history.
--
-- A return is keyed by the store's return id; its lines by the SHOPLINE
-- order line id. The quantities received / restocked / written off are
-- added by the warehouse side (Peoplevox Return summary, 018), refunded
-- by refunds/create webhooks. Every state change is one return_events row
-- naming its cause: 'webhook:return/create', 'cli:<user>', 'auto',
-- 'warehouse:<return code>', 'refund:<id>'. Refunds are stored apart: a
-- refund without a return request (refund only) never creates a return.
-- (018 belongs to the warehouse side, 019 to reconciliation.)
CREATE TABLE returns (
    id                  bigserial PRIMARY KEY,
    shop                text        NOT NULL,
    shopline_return_id  text        NOT NULL,
    order_id            bigint REFERENCES orders (id) ON DELETE SET NULL,
    shopline_order_id   text        NOT NULL,
    sales_order_number  text,        -- copied from orders when known
    state               text        NOT NULL DEFAULT 'requested' CHECK (state IN ('requested',
                            'authorised', 'awaiting_receipt', 'received', 'inspected',
                            'returned_to_stock', 'written_off', 'rejected', 'cancelled')),
    mode                text        NOT NULL CHECK (mode IN ('authorise', 'auto')),
    reason              text,
    return_reference    text,        -- key the expected return was saved under in Peoplevox (retwh sets it)
    currency            text,
    shopline_updated_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    state_changed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (shop, shopline_return_id)
);
CREATE INDEX returns_state ON returns (shop, state, state_changed_at);
CREATE INDEX returns_sales_order ON returns (shop, sales_order_number);
CREATE TABLE return_lines (
    return_id        bigint  NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    line_item_id     text    NOT NULL,   -- SHOPLINE order line id
    item_code        text    NOT NULL,   -- the Peoplevox item code (order_lines.item_code, else sku)
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price       numeric(20, 4),
    reason           text,
    received_qty     integer NOT NULL DEFAULT 0,
    restocked_qty    integer NOT NULL DEFAULT 0,
    written_off_qty  integer NOT NULL DEFAULT 0,
    refunded_qty     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (return_id, line_item_id)
);
CREATE TABLE return_events (
    id         bigserial PRIMARY KEY,
    return_id  bigint NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL DEFAULT now(),
    from_state text,
    to_state   text NOT NULL,
    cause      text NOT NULL,   -- 'webhook:return/create', 'cli:<user>', 'auto', 'warehouse:<return code>', 'refund:<id>'
    detail     text
);
CREATE INDEX return_events_return ON return_events (return_id, id);
CREATE TABLE refunds (
    shop               text NOT NULL,
    shopline_refund_id text NOT NULL,
    shopline_order_id  text NOT NULL,
    amount             numeric(20, 4),
    currency           text,
    lines              jsonb NOT NULL DEFAULT '[]',   -- [{"line_item_id","quantity","subtotal"}]
    shopline_created_at timestamptz,
    received_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, shopline_refund_id)
);
