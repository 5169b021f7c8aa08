-- 0005: the durable job queue (src/jobs). A job is claimed by a worker for
-- a lease; a lease that runs out (the worker died) makes the job claimable
-- again. States: queued -> running -> done | failed | cancelled; a failed
-- attempt with attempts left goes back to queued with a later run_after.
CREATE TABLE jobs (
    id @ID@,
    kind TEXT NOT NULL,                 -- handler name: "import", "test.record", ...
    payload TEXT NOT NULL,              -- JSON object, validated by the kind's handler at enqueue
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts BIGINT NOT NULL DEFAULT 0, -- claims so far (a released job gives its claim back)
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,          -- not claimable before (Unix seconds): backoff, scheduling
    lease_owner TEXT,                   -- "host:pid:tN" of the latest claimer (kept for history)
    lease_expires_at BIGINT,            -- a running job past this is claimable again
    last_error TEXT,
    result TEXT,                        -- JSON summary written by the handler on success
    idempotency_key TEXT UNIQUE,        -- optional: enqueueing the same key twice gives one job
    created_at BIGINT NOT NULL,
    started_at BIGINT,                  -- latest claim
    finished_at BIGINT
);
-- Claiming scans ready jobs in (run_after, id) order and expired leases.
CREATE INDEX jobs_ready ON jobs(state, run_after, id);
CREATE INDEX jobs_lease ON jobs(state, lease_expires_at);

-- Side effects of the "test.record" kind: one row per successful run, written
-- in the transaction that marks the job done. Deliberately not unique on
-- job_id, so that a job run twice would show as two rows (the chaos test
-- counts them).
CREATE TABLE job_test_records (
    id @ID@,
    job_id BIGINT NOT NULL REFERENCES jobs(id),
    attempt BIGINT NOT NULL,
    worker TEXT NOT NULL,
    note TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX job_test_records_job ON job_test_records(job_id);
