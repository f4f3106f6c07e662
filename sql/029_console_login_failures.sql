-- 029: the web page's failed logins per client address, shared by every
-- replica (each process also keeps its own counter of all tries, which
-- answers a flood without a database round trip). A client whose failures
-- within one window reach the limit is answered 429 by every replica until
-- the window ends; window_start restarts at the first failure after that.
CREATE TABLE console_login_failures (
    shop          text        NOT NULL,
    client        text        NOT NULL,
    window_start  timestamptz NOT NULL DEFAULT now(),
    failures      integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (shop, client)
);
