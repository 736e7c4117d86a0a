-- crmd schema, version 9: crmd's own API (docs/crmd-api.md) — an audit trail of every deletion, restore
-- and purge of a record, job history, and undo.
--
-- One row per record and change, written by the store in the same statement sequence, inside the same
-- transaction, as the change itself: the trail can never miss a committed change nor show one that
-- rolled back. actor_id is NULL for the system's changes (retention); job_id names the job whose batch
-- made the change (NULL for a request's own change).
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    time         INTEGER NOT NULL,          -- Unix ms
    action       TEXT    NOT NULL,          -- deleted | restored | purged
    via          TEXT    NOT NULL,          -- ids | job | record | recycle_bin | retention
    record_id    INTEGER NOT NULL,
    module_id    INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    actor_id     INTEGER,
    job_id       INTEGER
);
-- Newest first per org (the list), and a job's changes in order (undo reads what a job deleted).
CREATE INDEX audit_org ON audit (org_id, id);
CREATE INDEX audit_job ON audit (job_id, id) WHERE job_id IS NOT NULL;

-- The job history lists an org's jobs newest first.
CREATE INDEX jobs_org ON jobs (org_id, id);
-- At most one undo per job, ever: target holds the undone job's id. A preparation that was given up
-- (DROPPED) does not count.
CREATE UNIQUE INDEX jobs_undo ON jobs (target) WHERE kind = 'undo' AND status <> 'DROPPED';

-- Kinds are named as crmd's API shows them.
UPDATE jobs SET kind = 'restore' WHERE kind = 'bin_restore';
UPDATE jobs SET kind = 'purge' WHERE kind = 'bin_delete';
UPDATE jobs SET kind = 'index' WHERE kind = 'index_build';
