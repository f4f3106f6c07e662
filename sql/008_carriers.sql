-- 008: the carrier mapping (issue 8, fulfillments with tracking).
--
-- A Peoplevox carrier and service (as the `Despatch summary` names them)
-- -> the tracking_company a Shopline fulfillment shows and a tracking URL
-- template ("https://...?n={tracking}"). service '' maps every service of
-- the carrier that has no row of its own. Names match without regard to
-- case, so one row per shop x carrier x service in lower case. Edited with
-- `shopvox carriers set|list|delete`; an unmapped carrier is sent as its
-- raw name without a URL.
CREATE TABLE carriers (
    shop                  text        NOT NULL,
    carrier               text        NOT NULL CHECK (carrier <> ''),
    service               text        NOT NULL DEFAULT '',
    tracking_company      text        NOT NULL CHECK (tracking_company <> ''),
    tracking_url_template text,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    updated_by            text
);
CREATE UNIQUE INDEX carriers_key ON carriers (shop, lower(carrier), lower(service));
