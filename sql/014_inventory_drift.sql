-- 014: inventory drift reports (issue 9). Each reconciliation reads the
-- store's levels (inventory_levels.json) for every mapped item x location,
-- compares them with what shopvox last pushed and wants, makes the drifted
-- ones due for a push again and keeps one row here: the counts, the
-- variance (units the store got wrong, and as a share of what it should
-- show), the ten largest drifts and the SKUs on one side only. The latest
-- row per shop is what `shopvox report inventory` and the drift gauges show.
CREATE TABLE inventory_drift_reports (
    id              bigserial   PRIMARY KEY,
    shop            text        NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT now(),
    checked         integer     NOT NULL,   -- levels the store answered
    drifted         integer     NOT NULL,   -- store showed other than shopvox pushed
    corrected       integer     NOT NULL,   -- drifted levels made due for a push again
    pending         integer     NOT NULL,   -- a push was due anyway (not drift)
    unread          integer     NOT NULL,   -- no level in the store (not connected, untracked)
    variance_units  bigint      NOT NULL,   -- sum of |shown - wanted| over the drifted
    expected_units  bigint      NOT NULL,   -- sum of wanted over the checked
    drifted_pct     numeric     NOT NULL,
    variance_pct    numeric     NOT NULL,
    over_threshold  boolean     NOT NULL,
    calls           integer     NOT NULL,   -- inventory_levels.json calls made
    top_items       jsonb       NOT NULL,   -- [{sku, location_id, wanted, pushed, shown, variance}]
    peoplevox_only  jsonb       NOT NULL,   -- {"count": n, "first": [codes]}
    shopline_only   jsonb       NOT NULL
);
CREATE INDEX inventory_drift_reports_latest ON inventory_drift_reports (shop, id DESC);
