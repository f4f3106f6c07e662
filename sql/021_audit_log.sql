-- 021: the audit log: every change a person made through the admin API or
-- the operator CLI, written in the same transaction as the change.
-- actor: the API token's name, or 'cli:<$USER>'; action: a dotted verb
-- ('exception.resolve', 'exception.retry', 'job.retry', 'sku.map', ...);
-- subject_kind / subject_id: what was changed ('exception' / '42');
-- before / after: the subject's relevant fields around the change (JSON,
-- NULL when not applicable); note: the person's own words.
CREATE TABLE audit_log (
    id            bigserial   PRIMARY KEY,
    shop          text        NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text        NOT NULL,
    action        text        NOT NULL,
    subject_kind  text        NOT NULL,
    subject_id    text        NOT NULL,
    before        jsonb,
    after         jsonb,
    note          text
);
-- newest first, per shop (the API's and the CLI's listing, cursor on id)
CREATE INDEX audit_log_shop_id ON audit_log (shop, id DESC);
CREATE INDEX audit_log_subject ON audit_log (subject_kind, subject_id);
