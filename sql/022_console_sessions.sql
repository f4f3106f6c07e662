-- 022: the web page's sessions (/ops/): a named admin token exchanged once
-- at /ops/login for a session cookie. Kept in the database so that every
-- replica behind one address knows every session.
-- id_hash: SHA-256 of the cookie's 256-bit random value (the value itself
-- is never stored: a copy of this table opens no session);
-- token_name / token_fp: the token's name and SHA-256 of its digest, so a
-- session dies when its token is removed or replaced under the same name;
-- csrf: the session's synchronizer token, sent back in X-CSRF-Token by
-- every write the page makes; expires_at moves forward on every use (the
-- idle timeout, SHOPVOX_CONSOLE_SESSION_IDLE_S).
CREATE TABLE console_sessions (
    id_hash       bytea       PRIMARY KEY,
    shop          text        NOT NULL,
    token_name    text        NOT NULL,
    token_fp      text        NOT NULL,
    csrf          text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
