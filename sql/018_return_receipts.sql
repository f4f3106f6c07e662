-- 018: returns received at the warehouse (issue 10, the Peoplevox side).
--
-- One row per `Return summary` row shopvox has counted: the report is
-- re-read within an overlap window, so this key is what makes a row count
-- once (shop + return code + sales order + item code; two report rows with
-- the same four are one receipt). return_id names the first return its
-- units went to (NULL when none took them); matched_qty + unmatched_qty =
-- quantity. A row whose units no return expected (unmatched_qty > 0) stays
-- here for the operator, with its return_unmatched exception.
CREATE TABLE return_receipts (
    shop               text        NOT NULL,
    return_code        text        NOT NULL,
    sales_order_number text        NOT NULL,
    item_code          text        NOT NULL,
    quantity           integer     NOT NULL CHECK (quantity > 0),
    reusable           boolean     NOT NULL,
    condition          text,
    reason             text,
    site               text,
    returned_at        timestamptz NOT NULL,
    return_id          bigint REFERENCES returns (id) ON DELETE SET NULL,
    matched_qty        integer     NOT NULL DEFAULT 0,
    unmatched_qty      integer     NOT NULL DEFAULT 0,
    counted_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, return_code, sales_order_number, item_code),
    CHECK (matched_qty >= 0 AND unmatched_qty >= 0 AND matched_qty + unmatched_qty = quantity)
);
CREATE INDEX return_receipts_return ON return_receipts (return_id);
CREATE INDEX return_receipts_unmatched ON return_receipts (shop, counted_at)
    WHERE unmatched_qty > 0;
