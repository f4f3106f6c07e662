-- 007: despatches read back from Peoplevox (issue 8, the despatch loop).
--
-- One row per Peoplevox despatch, recorded once (the despatch number is
-- unique: the poller re-reads an overlap window and must not record a row
-- twice), with the lines it carried and, once Shopline has it, the
-- fulfillment id. state: pending (no fulfillment yet), fulfilled (Shopline
-- confirmed it, shopline_fulfillment_id set), failed (a permanent refusal,
-- an exception is open). The poller's watermark is the cursors row
-- 'despatch_watermark' (002).
CREATE TABLE despatches (
    id                      bigserial   PRIMARY KEY,
    despatch_number         text        NOT NULL UNIQUE,
    order_id                bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    tracking                text,
    carrier                 text,
    service                 text,
    despatched_at           timestamptz NOT NULL,
    shopline_fulfillment_id text,
    state                   text        NOT NULL DEFAULT 'pending'
                            CHECK (state IN ('pending', 'fulfilled', 'failed')),
    confirmed_at            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX despatches_order_idx ON despatches (order_id);
CREATE INDEX despatches_unconfirmed_idx ON despatches (created_at) WHERE state = 'pending';

-- What a despatch carried, already allocated to Shopline line ids (a
-- despatched item code may be split across several lines of the order).
CREATE TABLE despatch_lines (
    despatch_id bigint  NOT NULL REFERENCES despatches(id) ON DELETE CASCADE,
    line_id     text    NOT NULL,
    item_code   text    NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (despatch_id, line_id)
);
