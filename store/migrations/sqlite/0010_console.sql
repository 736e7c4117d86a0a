-- The web console's sign-in (docs/console.md). A console link is a one-time secret printed by
-- `crmd console-link`; only its SHA-256 hash is kept, and using it marks it used in the same statement
-- that reads it, so that it signs in once even when two browsers race. A session is the server-side
-- state behind the console's cookie, again kept only as the hash of the cookie's value; it carries the
-- session's CSRF token, which every state-changing form must send back.
CREATE TABLE console_links (
    link_hash  TEXT    PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE console_sessions (
    session_hash TEXT    PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    csrf         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
