-- PostgreSQL mirror of the SQLite schema: same tables and columns; integers are BIGINT (ids are 19 digits), flags stay 0/1
-- integers because the Go code scans ints, and records.data is JSONB.

-- crmd schema, version 1. Times are Unix milliseconds; ids are Zoho-style 19-digit integers drawn from
-- the owning org's sequence (orgs.next_seq), so they are unique across modules and never reused.

CREATE TABLE orgs (
    id            BIGINT PRIMARY KEY,
    id_prefix     BIGINT NOT NULL UNIQUE,
    next_seq      BIGINT NOT NULL,
    name          TEXT    NOT NULL,
    primary_email TEXT    NOT NULL,
    zgid          TEXT    NOT NULL,
    time_zone     TEXT    NOT NULL DEFAULT 'UTC',
    page_secret   TEXT    NOT NULL,
    custom_seq    BIGINT NOT NULL DEFAULT 0, -- last CustomModuleN number
    meta_version  BIGINT NOT NULL DEFAULT 1, -- bumped on every module or field change (cache key)
    created_time  BIGINT NOT NULL
);

CREATE TABLE profiles (
    id      BIGINT PRIMARY KEY,
    org_id  BIGINT NOT NULL REFERENCES orgs(id),
    name    TEXT    NOT NULL,
    created_time BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE roles (
    id      BIGINT PRIMARY KEY,
    org_id  BIGINT NOT NULL REFERENCES orgs(id),
    name    TEXT    NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE users (
    id            BIGINT PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES orgs(id),
    email         TEXT    NOT NULL, -- stored lower-case
    first_name    TEXT    NOT NULL DEFAULT '',
    last_name     TEXT    NOT NULL,
    profile_id    BIGINT NOT NULL REFERENCES profiles(id),
    role_id       BIGINT NOT NULL REFERENCES roles(id),
    status        TEXT    NOT NULL DEFAULT 'active',
    zuid          TEXT    NOT NULL,
    created_time  BIGINT NOT NULL,
    modified_time BIGINT NOT NULL,
    UNIQUE (org_id, email)
);

-- OAuth clients. The secret is stored only as a hash.
CREATE TABLE oauth_clients (
    client_id    TEXT    PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES orgs(id),
    secret_hash  TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    redirect_uri TEXT    NOT NULL DEFAULT '',
    created_time BIGINT NOT NULL
);

-- Grant codes (authorization_code flow): single use, short-lived, stored as hashes.
CREATE TABLE oauth_codes (
    code_hash    TEXT    PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES oauth_clients(client_id),
    org_id       BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    scope        TEXT    NOT NULL,
    redirect_uri TEXT    NOT NULL DEFAULT '',
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);

-- Access and refresh tokens, stored only as SHA-256 hashes. An access token minted from a refresh token
-- points at it (refresh_hash), so revoking the refresh token revokes its access tokens too.
CREATE TABLE oauth_tokens (
    token_hash   TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL, -- access | refresh
    client_id    TEXT    NOT NULL,
    org_id       BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    scope        TEXT    NOT NULL,
    refresh_hash TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT, -- NULL: never (refresh tokens)
    revoked_at   BIGINT
);
CREATE INDEX oauth_tokens_refresh ON oauth_tokens (refresh_hash) WHERE refresh_hash IS NOT NULL;

CREATE TABLE modules (
    id              BIGINT PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES orgs(id),
    api_name        TEXT    NOT NULL,
    api_name_lower  TEXT    NOT NULL,
    module_name     TEXT    NOT NULL,
    singular_label  TEXT    NOT NULL,
    plural_label    TEXT    NOT NULL,
    generated_type  TEXT    NOT NULL,
    api_supported   BIGINT NOT NULL,
    creatable       BIGINT NOT NULL,
    editable        BIGINT NOT NULL,
    deletable       BIGINT NOT NULL,
    mass_deletable  BIGINT NOT NULL,
    min_version     BIGINT NOT NULL DEFAULT 0,
    scope_token     TEXT    NOT NULL,
    display_field   TEXT    NOT NULL,
    sequence_number BIGINT NOT NULL,
    modified_time   BIGINT NOT NULL,
    UNIQUE (org_id, api_name_lower)
);

CREATE TABLE fields (
    id              BIGINT PRIMARY KEY,
    org_id          BIGINT NOT NULL,
    module_id       BIGINT NOT NULL REFERENCES modules(id),
    api_name        TEXT    NOT NULL,
    label           TEXT    NOT NULL,
    data_type       TEXT    NOT NULL,
    length          BIGINT NOT NULL DEFAULT 0,
    mandatory       BIGINT NOT NULL DEFAULT 0,
    read_only       BIGINT NOT NULL DEFAULT 0,
    custom          BIGINT NOT NULL DEFAULT 0,
    system          BIGINT NOT NULL DEFAULT 0,
    picklist        TEXT    NOT NULL DEFAULT '[]', -- JSON array of values
    lookup_module   TEXT    NOT NULL DEFAULT '',
    decimal_place   BIGINT NOT NULL DEFAULT 0,
    sequence_number BIGINT NOT NULL,
    UNIQUE (module_id, api_name)
);

-- Records. System fields have columns of their own; the module's data fields live in one JSON document.
-- deleted_time marks a record in the recycle bin; purged_time marks one deleted for good (its data is gone,
-- the row stays so that /deleted?type=permanent can list it).
CREATE TABLE records (
    id             BIGINT PRIMARY KEY,
    org_id         BIGINT NOT NULL,
    module_id      BIGINT NOT NULL,
    owner_id       BIGINT NOT NULL,
    created_by     BIGINT NOT NULL,
    modified_by    BIGINT NOT NULL,
    created_time   BIGINT NOT NULL,
    modified_time  BIGINT NOT NULL,
    approval_state TEXT    NOT NULL DEFAULT 'approved',
    display_name   TEXT    NOT NULL DEFAULT '',
    data           JSONB     NOT NULL,
    deleted_time   BIGINT,
    deleted_by     BIGINT,
    delete_job_id  BIGINT,
    purged_time    BIGINT
);
-- Live records of a module in id order (the default listing) …
CREATE INDEX records_live ON records (module_id, id) WHERE deleted_time IS NULL;
-- … and by time, for sort_by=Created_Time / Modified_Time.
CREATE INDEX records_live_created ON records (module_id, created_time, id) WHERE deleted_time IS NULL;
CREATE INDEX records_live_modified ON records (module_id, modified_time, id) WHERE deleted_time IS NULL;
-- Deleted records of a module, newest first.
CREATE INDEX records_deleted ON records (module_id, deleted_time) WHERE deleted_time IS NOT NULL;
