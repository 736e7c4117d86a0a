-- crmd schema, version 2: custom views and the record reads behind the "Unread" system views.

-- Custom views. System views (system_name set) are real rows so that they have stable ids (cvids); they are
-- created lazily per module, at most once thanks to UNIQUE (module_id, system_name). name_lower is the
-- lower-cased name of a user view and NULL for system views, so that the database keeps user view names
-- unique per module (NULLs never collide) while system views stay out of that constraint.
CREATE TABLE custom_views (
    id                 BIGINT PRIMARY KEY,
    org_id             BIGINT NOT NULL REFERENCES orgs(id),
    module_id          BIGINT NOT NULL REFERENCES modules(id),
    name               TEXT    NOT NULL,
    name_lower         TEXT,
    display_value      TEXT    NOT NULL,
    system_name        TEXT,             -- NULL for user views
    criteria           TEXT,             -- normalised criteria JSON; NULL = every record
    fields             TEXT    NOT NULL DEFAULT '[]', -- JSON array of field api names
    sort_by            TEXT,             -- field api name, NULL = none
    sort_order         TEXT,             -- asc | desc | NULL
    access_type        TEXT    NOT NULL DEFAULT 'public', -- public | only_to_me
    created_by         BIGINT,          -- NULL for system views
    created_time       BIGINT,
    modified_by        BIGINT,
    modified_time      BIGINT,
    is_default         BIGINT NOT NULL DEFAULT 0,
    favorite           BIGINT,
    last_accessed_time BIGINT,
    UNIQUE (module_id, name_lower),
    UNIQUE (module_id, system_name)
);
CREATE INDEX custom_views_module ON custom_views (org_id, module_id);

-- Which user has opened which record (GET /{module}/{id}); a record without a row for the caller is
-- "unread". Ids are unique across orgs, so no org column is needed.
CREATE TABLE record_reads (
    user_id   BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    read_time BIGINT NOT NULL,
    PRIMARY KEY (user_id, record_id)
);
