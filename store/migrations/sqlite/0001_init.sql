-- crmd schema, version 1. Times are Unix milliseconds; ids are Zoho-style 19-digit integers drawn from
-- the owning org's sequence (orgs.next_seq), so they are unique across modules and never reused.

CREATE TABLE orgs (
    id            INTEGER PRIMARY KEY,
    id_prefix     INTEGER NOT NULL UNIQUE,
    next_seq      INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    primary_email TEXT    NOT NULL,
    zgid          TEXT    NOT NULL,
    time_zone     TEXT    NOT NULL DEFAULT 'UTC',
    page_secret   TEXT    NOT NULL,
    custom_seq    INTEGER NOT NULL DEFAULT 0, -- last CustomModuleN number
    meta_version  INTEGER NOT NULL DEFAULT 1, -- bumped on every module or field change (cache key)
    created_time  INTEGER NOT NULL
);

CREATE TABLE profiles (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL REFERENCES orgs(id),
    name    TEXT    NOT NULL,
    created_time INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE roles (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL REFERENCES orgs(id),
    name    TEXT    NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    email         TEXT    NOT NULL, -- stored lower-case
    first_name    TEXT    NOT NULL DEFAULT '',
    last_name     TEXT    NOT NULL,
    profile_id    INTEGER NOT NULL REFERENCES profiles(id),
    role_id       INTEGER NOT NULL REFERENCES roles(id),
    status        TEXT    NOT NULL DEFAULT 'active',
    zuid          TEXT    NOT NULL,
    created_time  INTEGER NOT NULL,
    modified_time INTEGER NOT NULL,
    UNIQUE (org_id, email)
);

-- OAuth clients. The secret is stored only as a hash.
CREATE TABLE oauth_clients (
    client_id    TEXT    PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    secret_hash  TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    redirect_uri TEXT    NOT NULL DEFAULT '',
    created_time INTEGER NOT NULL
);

-- Grant codes (authorization_code flow): single use, short-lived, stored as hashes.
CREATE TABLE oauth_codes (
    code_hash    TEXT    PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES oauth_clients(client_id),
    org_id       INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    scope        TEXT    NOT NULL,
    redirect_uri TEXT    NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);

-- Access and refresh tokens, stored only as SHA-256 hashes. An access token minted from a refresh token
-- points at it (refresh_hash), so revoking the refresh token revokes its access tokens too.
CREATE TABLE oauth_tokens (
    token_hash   TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL, -- access | refresh
    client_id    TEXT    NOT NULL,
    org_id       INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    scope        TEXT    NOT NULL,
    refresh_hash TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER, -- NULL: never (refresh tokens)
    revoked_at   INTEGER
);
CREATE INDEX oauth_tokens_refresh ON oauth_tokens (refresh_hash) WHERE refresh_hash IS NOT NULL;

CREATE TABLE modules (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    api_name        TEXT    NOT NULL,
    api_name_lower  TEXT    NOT NULL,
    module_name     TEXT    NOT NULL,
    singular_label  TEXT    NOT NULL,
    plural_label    TEXT    NOT NULL,
    generated_type  TEXT    NOT NULL,
    api_supported   INTEGER NOT NULL,
    creatable       INTEGER NOT NULL,
    editable        INTEGER NOT NULL,
    deletable       INTEGER NOT NULL,
    mass_deletable  INTEGER NOT NULL,
    min_version     INTEGER NOT NULL DEFAULT 0,
    scope_token     TEXT    NOT NULL,
    display_field   TEXT    NOT NULL,
    sequence_number INTEGER NOT NULL,
    modified_time   INTEGER NOT NULL,
    UNIQUE (org_id, api_name_lower)
);

CREATE TABLE fields (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    module_id       INTEGER NOT NULL REFERENCES modules(id),
    api_name        TEXT    NOT NULL,
    label           TEXT    NOT NULL,
    data_type       TEXT    NOT NULL,
    length          INTEGER NOT NULL DEFAULT 0,
    mandatory       INTEGER NOT NULL DEFAULT 0,
    read_only       INTEGER NOT NULL DEFAULT 0,
    custom          INTEGER NOT NULL DEFAULT 0,
    system          INTEGER NOT NULL DEFAULT 0,
    picklist        TEXT    NOT NULL DEFAULT '[]', -- JSON array of values
    lookup_module   TEXT    NOT NULL DEFAULT '',
    decimal_place   INTEGER NOT NULL DEFAULT 0,
    sequence_number INTEGER NOT NULL,
    UNIQUE (module_id, api_name)
);

-- Records. System fields have columns of their own; the module's data fields live in one JSON document.
-- deleted_time marks a record in the recycle bin; purged_time marks one deleted for good (its data is gone,
-- the row stays so that /deleted?type=permanent can list it).
CREATE TABLE records (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL,
    module_id      INTEGER NOT NULL,
    owner_id       INTEGER NOT NULL,
    created_by     INTEGER NOT NULL,
    modified_by    INTEGER NOT NULL,
    created_time   INTEGER NOT NULL,
    modified_time  INTEGER NOT NULL,
    approval_state TEXT    NOT NULL DEFAULT 'approved',
    display_name   TEXT    NOT NULL DEFAULT '',
    data           TEXT    NOT NULL,
    deleted_time   INTEGER,
    deleted_by     INTEGER,
    delete_job_id  INTEGER,
    purged_time    INTEGER
);
-- Live records of a module in id order (the default listing) …
CREATE INDEX records_live ON records (module_id, id) WHERE deleted_time IS NULL;
-- … and by time, for sort_by=Created_Time / Modified_Time.
CREATE INDEX records_live_created ON records (module_id, created_time, id) WHERE deleted_time IS NULL;
CREATE INDEX records_live_modified ON records (module_id, modified_time, id) WHERE deleted_time IS NULL;
-- Deleted records of a module, newest first.
CREATE INDEX records_deleted ON records (module_id, deleted_time) WHERE deleted_time IS NOT NULL;
