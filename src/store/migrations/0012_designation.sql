-- 0012: covered-frontier-model designation, sealed suites and transcripts,
-- pre-release windows and the trusted-partner gateway (src/eval/models.h,
-- seal.h, designate.h, windows.h, gateway.h; docs/designation.md). Times are
-- Unix seconds (UTC). Nothing here holds task content, flags, transcripts or
-- credentials in clear: those are sealed (libsodium secretbox) in blobs.

-- A model a developer organisation offers for evaluation. `credentials` is
-- the sealed API key of its endpoint (NULL: none); `upstream_model` is the
-- "model" member the endpoint expects. gateway_killed is the per-model kill
-- switch of the gateway.
CREATE TABLE eval_models (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    upstream_model TEXT NOT NULL,
    credentials @BLOB@,
    prerelease BIGINT NOT NULL,
    planned_release_at BIGINT,
    classification TEXT NOT NULL,
    gateway_killed BIGINT NOT NULL DEFAULT 0,
    kill_reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (name, version)
);
CREATE INDEX eval_models_org ON eval_models(org_id);

-- Evaluation runs (eval_run of 0006) of a registered model, and the
-- pre-release window they ran in (NULL: none). No foreign key to eval_run:
-- runs are written by the harness, which may be migrated separately.
CREATE TABLE eval_model_runs (
    run_id BIGINT NOT NULL PRIMARY KEY,
    model_id BIGINT NOT NULL REFERENCES eval_models(id),
    window_id BIGINT,
    attached_at BIGINT NOT NULL
);
CREATE INDEX eval_model_runs_model ON eval_model_runs(model_id);

-- Pre-release evaluation windows: [starts_at, ends_at), at most 30 days.
-- state: offered | open | report_delivered | closed | released.
CREATE TABLE eval_windows (
    id @ID@,
    model_id BIGINT NOT NULL REFERENCES eval_models(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    state TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    offered_at BIGINT NOT NULL,
    opened_at BIGINT,
    delivered_at BIGINT,
    closed_at BIGINT,
    released_at BIGINT,
    created_by TEXT NOT NULL
);
CREATE INDEX eval_windows_model ON eval_windows(model_id);

-- Events of windows and models that the UI and webhooks read, oldest first:
-- kind ends_in_7d | ends_in_1d | ended | state changes. One of each notice
-- kind per window (the unique key makes producing them idempotent).
CREATE TABLE eval_window_events (
    id @ID@,
    window_id BIGINT NOT NULL REFERENCES eval_windows(id),
    model_id BIGINT NOT NULL REFERENCES eval_models(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (window_id, kind)
);

-- Signed designation decisions. `record` is the canonical JSON text that
-- was signed, signature included (docs/designation.md).
CREATE TABLE eval_decisions (
    id @ID@,
    model_id BIGINT NOT NULL REFERENCES eval_models(id),
    policy_id TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    record TEXT NOT NULL,
    key_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX eval_decisions_model ON eval_decisions(model_id, id);

-- Sealed content: suite files and transcripts. `name` is unique per kind;
-- `size` is the plaintext length. The ciphertext is bound to kind and name.
CREATE TABLE eval_sealed (
    id @ID@,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    classification TEXT NOT NULL,
    owner_org_id BIGINT,
    run_id BIGINT,
    size BIGINT NOT NULL,
    ciphertext @BLOB@ NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (kind, name)
);

-- Trusted partners of a model: named by the developer and by the
-- clearinghouse; active only when both have named it and it is not revoked.
-- Quotas per UTC day and a rate per minute (0: none).
CREATE TABLE eval_partners (
    model_id BIGINT NOT NULL REFERENCES eval_models(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    developer_named_at BIGINT,
    clearinghouse_named_at BIGINT,
    revoked_at BIGINT,
    requests_per_day BIGINT NOT NULL,
    tokens_per_day BIGINT NOT NULL,
    requests_per_minute BIGINT NOT NULL,
    PRIMARY KEY (model_id, org_id)
);

-- Time-boxed grants: one API token (tokens.id) -> one model.
CREATE TABLE eval_grants (
    id @ID@,
    token_id BIGINT NOT NULL UNIQUE REFERENCES tokens(id),
    model_id BIGINT NOT NULL REFERENCES eval_models(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX eval_grants_model ON eval_grants(model_id, org_id);

-- Gateway usage counters per partner organisation and model: period 'd'
-- (UTC day) or 'm' (minute), updated atomically (used + n <= quota).
CREATE TABLE eval_gateway_usage (
    model_id BIGINT NOT NULL,
    org_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    tokens BIGINT NOT NULL,
    PRIMARY KEY (model_id, org_id, period, period_start)
);

-- The global gateway kill switch (one row, scope 'global').
CREATE TABLE eval_gateway_switch (
    scope TEXT NOT NULL PRIMARY KEY,
    engaged BIGINT NOT NULL,
    reason TEXT,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL
);

-- Every gateway request and response, sealed, for insider-risk review. The
-- digests (BLAKE2b-256 of the plaintext) are also in the audit chain.
CREATE TABLE eval_gateway_log (
    id @ID@,
    grant_id BIGINT NOT NULL,
    model_id BIGINT NOT NULL,
    org_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    response_digest TEXT,
    request_sealed @BLOB@ NOT NULL,
    response_sealed @BLOB@,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    upstream_ms BIGINT NOT NULL
);
CREATE INDEX eval_gateway_log_model ON eval_gateway_log(model_id, at);
