-- crmd schema, version 6: mass delete jobs (POST /{module}/actions/mass_delete with a cvid).

-- One row per cvid job. The selection is fixed when the job is accepted: its record ids are snapshotted
-- into mass_delete_job_items (seq 0 … total_count-1), and the runner walks them from cursor_pos in
-- batches, each batch one transaction that deletes, advances cursor_pos and the counters together, so a
-- crash between batches loses nothing and repeats nothing. lease_owner/lease_until say which process
-- runs the job and until when; an expired lease may be claimed by any process.
CREATE TABLE mass_delete_jobs (
    id            BIGINT PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES orgs(id),
    module_id     BIGINT NOT NULL,
    cvid          BIGINT NOT NULL,
    territory_id  BIGINT,           -- NULL = no territory
    include_child BIGINT NOT NULL DEFAULT 0,
    lock_key      TEXT    NOT NULL,  -- what "one job at a time" is counted over (--mass-delete-lock)
    status        TEXT    NOT NULL,  -- SCHEDULED | RUNNING | COMPLETED | FAILED
    total_count   BIGINT NOT NULL,
    deleted_count BIGINT NOT NULL DEFAULT 0,
    failed_count  BIGINT NOT NULL DEFAULT 0,
    cursor_pos    BIGINT NOT NULL DEFAULT 0, -- seq of the next item to process
    lease_owner   TEXT,
    lease_until   BIGINT,
    error         TEXT,              -- why a FAILED job failed (for operators; never shown to clients)
    created_by    BIGINT NOT NULL,
    created_time  BIGINT NOT NULL,
    started_time  BIGINT,
    finished_time BIGINT
);
-- D5: at most one SCHEDULED or RUNNING job per lock key, enforced by the database so that it holds
-- across processes and racing requests.
CREATE UNIQUE INDEX mass_delete_jobs_lock ON mass_delete_jobs (lock_key) WHERE status IN ('SCHEDULED', 'RUNNING');
-- The runner's poll for claimable jobs reads only unfinished jobs.
CREATE INDEX mass_delete_jobs_active ON mass_delete_jobs (lease_until) WHERE status IN ('SCHEDULED', 'RUNNING');

-- The snapshot of a job: its record ids in processing order.
CREATE TABLE mass_delete_job_items (
    job_id    BIGINT NOT NULL REFERENCES mass_delete_jobs(id),
    seq       BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
