-- crmd schema, version 8: one jobs framework. Mass delete jobs, the recycle bin's bulk work (restore and
-- permanent delete by filter, restore of everything, emptying a large bin) share one table of jobs and
-- one table of snapshot items; kind says which work a job does.
ALTER TABLE mass_delete_jobs RENAME TO jobs;
ALTER TABLE mass_delete_job_items RENAME TO job_items;
ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'mass_delete'; -- mass_delete | bin_restore | bin_delete | index_build
-- What a job works on beyond its module: the field an index_build job indexes.
ALTER TABLE jobs ADD COLUMN target TEXT NOT NULL DEFAULT '';
-- Claims take the job with the lowest turn first; a job that yields its turn to others gets the
-- highest turn yet, so that jobs which yield take turns (a long index build and a mass delete share a
-- runner fairly).
ALTER TABLE jobs ADD COLUMN turn INTEGER NOT NULL DEFAULT 0;
-- Set by a cancel request; the runner stops the job before its next batch and ends it CANCELLED.
ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
-- Statuses now also PREPARING (the job holds its lock while its snapshot is written, in short batches
-- outside any long transaction; not yet visible to clients), CANCELLED, and DROPPED (a preparation
-- given up, never visible, removed with its items by the runners' sweep). A PREPARING job holds the
-- one-job lock like a SCHEDULED one, so the lock is still taken first and race-proof.
DROP INDEX mass_delete_jobs_lock;
CREATE UNIQUE INDEX jobs_lock ON jobs (lock_key) WHERE status IN ('PREPARING', 'SCHEDULED', 'RUNNING');
DROP INDEX mass_delete_jobs_active;
CREATE INDEX jobs_active ON jobs (lease_until) WHERE status IN ('PREPARING', 'SCHEDULED', 'RUNNING');

-- Field indexes that never stall writers (SQLite). CREATE INDEX holds the write lock for the whole build
-- (about 7 s per million records), so criteria on a data field are served instead by field_values: one
-- row per record and indexed field, holding the value the criteria compiler reads (store.FieldExpr),
-- kept current by triggers on records from the moment the index is asked for, and filled for the
-- records that existed then by a job of kind index_build, in batches. field_indexes says which field of
-- which module has one, and which job fills it: once that job is COMPLETED the compiler reads the field
-- from field_values.
CREATE TABLE field_values (
    field     TEXT    NOT NULL,
    module_id INTEGER NOT NULL,
    value             NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (field, module_id, value, record_id)
) WITHOUT ROWID;
CREATE INDEX field_values_lower ON field_values (field, module_id, lower(value));
CREATE INDEX field_values_record ON field_values (record_id, field);
CREATE TABLE field_indexes (
    module_id INTEGER NOT NULL,
    field     TEXT    NOT NULL,
    job_id    INTEGER NOT NULL,
    PRIMARY KEY (module_id, field)
);
