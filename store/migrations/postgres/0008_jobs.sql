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
ALTER TABLE jobs ADD COLUMN turn BIGINT NOT NULL DEFAULT 0;
-- Set by a cancel request; the runner stops the job before its next batch and ends it CANCELLED.
ALTER TABLE jobs ADD COLUMN cancel_requested BIGINT NOT NULL DEFAULT 0;
-- Statuses now also PREPARING (the job holds its lock while its snapshot is written, in short batches
-- outside any long transaction; not yet visible to clients), CANCELLED, and DROPPED (a preparation
-- given up, never visible, removed with its items by the runners' sweep). A PREPARING job holds the
-- one-job lock like a SCHEDULED one, so the lock is still taken first and race-proof.
DROP INDEX mass_delete_jobs_lock;
CREATE UNIQUE INDEX jobs_lock ON jobs (lock_key) WHERE status IN ('PREPARING', 'SCHEDULED', 'RUNNING');
DROP INDEX mass_delete_jobs_active;
CREATE INDEX jobs_active ON jobs (lease_until) WHERE status IN ('PREPARING', 'SCHEDULED', 'RUNNING');
