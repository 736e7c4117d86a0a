-- crmd schema, version 3: territories and their assignment to records.

-- Territories form one tree per org through the parent pointer reporting_to. The root is the org's own
-- territory (reporting_to NULL); the partial unique index below lets an org have exactly one, however
-- many processes race to create it. reporting_to references a territory of the same org (checked by the
-- service), so a territory with children cannot be deleted before they move.
CREATE TABLE territories (
    id              BIGINT PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES orgs(id),
    name            TEXT    NOT NULL,
    name_lower      TEXT    NOT NULL,
    api_name        TEXT    NOT NULL,
    description     TEXT,             -- NULL = none
    permission_type TEXT    NOT NULL, -- read_only | read_write_delete
    manager_id      BIGINT,          -- a user of the org, NULL = none
    reporting_to    BIGINT REFERENCES territories(id), -- the parent; NULL only for the root
    created_by      BIGINT NOT NULL,
    created_time    BIGINT NOT NULL,
    modified_by     BIGINT NOT NULL,
    modified_time   BIGINT NOT NULL,
    UNIQUE (org_id, name_lower)
);
-- Children of a territory: the step of every subtree walk (WITH RECURSIVE … JOIN ON reporting_to).
CREATE INDEX territories_parent ON territories (org_id, reporting_to);
-- One root per org.
CREATE UNIQUE INDEX territories_root ON territories (org_id) WHERE reporting_to IS NULL;

-- Which records belong to which territories. Rows of soft-deleted records stay, so that a restored record
-- comes back with its territories; rows of a deleted territory go with it.
CREATE TABLE record_territories (
    record_id     BIGINT NOT NULL,
    territory_id  BIGINT NOT NULL REFERENCES territories(id),
    org_id        BIGINT NOT NULL,
    assigned_by   BIGINT NOT NULL,
    assigned_time BIGINT NOT NULL,
    PRIMARY KEY (record_id, territory_id)
);
-- "Records of these territories" reads only this index.
CREATE INDEX record_territories_territory ON record_territories (territory_id, record_id);
