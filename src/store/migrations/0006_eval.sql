-- 0006: frontier-model evaluation runs (src/eval/run.c, docs/evaluation.md).
-- eval_run is one run of a suite against a model; eval_sample one (task,
-- epoch) of it, in state pending -> running -> done; eval_journal the
-- append-only record of what happened, in order. A killed run resumes by
-- asking again only the samples not done: a done sample is never re-asked.
CREATE TABLE eval_run (
    id @ID@,
    suite_id TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    suite_sha256 TEXT NOT NULL,
    suite_path TEXT NOT NULL,
    classification TEXT NOT NULL,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    epochs BIGINT NOT NULL,
    guided BIGINT NOT NULL,
    task_glob TEXT NOT NULL,
    seed BIGINT NOT NULL,
    transcript_dir TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT,
    n_sessions BIGINT NOT NULL
);

CREATE TABLE eval_sample (
    run_id BIGINT NOT NULL REFERENCES eval_run (id),
    task_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT,
    detail TEXT,
    attempts BIGINT NOT NULL,
    turns BIGINT NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    cost @REAL@ NOT NULL,
    model_ms BIGINT NOT NULL,
    tool_ms BIGINT NOT NULL,
    wall_ms BIGINT NOT NULL,
    http_retries BIGINT NOT NULL,
    submissions BIGINT NOT NULL,
    transcript TEXT,
    transcript_sha256 TEXT,
    started_at BIGINT,
    finished_at BIGINT,
    PRIMARY KEY (run_id, task_id, epoch)
);
CREATE INDEX eval_sample_state ON eval_sample (run_id, state);

CREATE TABLE eval_journal (
    id @ID@,
    run_id BIGINT NOT NULL REFERENCES eval_run (id),
    at BIGINT NOT NULL,
    session BIGINT NOT NULL,
    event TEXT NOT NULL,
    task_id TEXT,
    epoch BIGINT,
    detail TEXT
);
CREATE INDEX eval_journal_run ON eval_journal (run_id, id);
