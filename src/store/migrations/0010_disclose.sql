-- 0010: discovery intake and disclosure (src/validate/repro.h,
-- src/disclose/, docs/disclosure.md): findings with their proof-of-concept
-- files and recipe, reproduction runs with their logs, duplicate matches,
-- disclosure cases with participants and history, and the advisories they
-- published. Times are Unix seconds (UTC).

-- A partner's submission. target: what was tested (purl, repository URL or
-- a name); ecosystem/component/vendor: the affected package as OSV and CSAF
-- name it; version: the version the finding was made on; introduced/fixed:
-- the affected range as the submitter knows it (NULL: unknown).
-- classification: unclassified | cui | secret | top_secret. state: submitted
-- | reproduced | flaky | not_reproduced | invalid_recipe | duplicate.
-- recipe: the recipe JSON (validate/repro.h); poc_digest: BLAKE2b-256 over
-- the sorted (path, file digest) list. signature/crash_class/frame_keys come
-- from the last validation (frame_keys: the top frame keys, one a line).
-- aliases: ids the submitter says this is (CVE-..., GHSA-...), one a line.
CREATE TABLE disclose_findings (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    submitted_by TEXT NOT NULL,
    target TEXT NOT NULL,
    ecosystem TEXT,
    component TEXT NOT NULL,
    vendor TEXT,
    version TEXT NOT NULL,
    introduced TEXT,
    fixed TEXT,
    title TEXT NOT NULL,
    cwe TEXT NOT NULL,
    description TEXT NOT NULL,
    classification TEXT NOT NULL,
    recipe TEXT NOT NULL,
    poc_digest TEXT NOT NULL,
    aliases TEXT,
    state TEXT NOT NULL,
    signature TEXT,
    crash_class TEXT,
    frame_keys TEXT,
    repro_rate @REAL@,
    duplicate_of BIGINT REFERENCES disclose_findings(id),
    known_vuln TEXT,
    created_at BIGINT NOT NULL,
    validated_at BIGINT
);
CREATE INDEX disclose_findings_org ON disclose_findings(org_id);
CREATE INDEX disclose_findings_sig ON disclose_findings(target, signature);

-- The proof-of-concept files, as blobs, with their BLAKE2b-256 digests.
CREATE TABLE disclose_finding_files (
    finding_id BIGINT NOT NULL REFERENCES disclose_findings(id),
    path TEXT NOT NULL,
    digest TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    content @BLOB@ NOT NULL,
    PRIMARY KEY (finding_id, path)
);

-- One reproduction: kind validate (the submitted recipe) or fix (the same
-- PoC against a fixed build). outcome: reproduced | flaky | not_reproduced |
-- invalid_recipe. log: build output and every run's outcome and stderr
-- (bytes as the programs wrote them, hence a blob).
CREATE TABLE disclose_runs (
    id @ID@,
    finding_id BIGINT NOT NULL REFERENCES disclose_findings(id),
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    runs BIGINT NOT NULL,
    matched BIGINT NOT NULL,
    crash_class TEXT,
    signature TEXT,
    fixed_version TEXT,
    recipe TEXT NOT NULL,
    log @BLOB@ NOT NULL,
    build_ms BIGINT NOT NULL,
    run_ms BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX disclose_runs_finding ON disclose_runs(finding_id);

-- What deduplication found. kind: duplicate (same signature, same target:
-- other_id is the first submission) | probable (similar frames, or the same
-- component, range and CWE; for an analyst to confirm) | known (an alias is
-- a record of the knowledge base: known_vuln names it, other_id NULL).
-- status: open | confirmed | dismissed.
CREATE TABLE disclose_matches (
    id @ID@,
    finding_id BIGINT NOT NULL REFERENCES disclose_findings(id),
    other_id BIGINT REFERENCES disclose_findings(id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    known_vuln TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX disclose_matches_finding ON disclose_matches(finding_id);

-- A coordinated-disclosure case: one per finding. state: new | validated |
-- triaged | vendor_notified | fix_available | published | rejected |
-- duplicate. advisory_id: CH-YYYY-NNNN, given at publication.
CREATE TABLE disclose_cases (
    id @ID@,
    finding_id BIGINT NOT NULL UNIQUE REFERENCES disclose_findings(id),
    state TEXT NOT NULL,
    exploited BIGINT NOT NULL DEFAULT 0,
    embargo_days BIGINT NOT NULL,
    embargo_until BIGINT,
    validated_at BIGINT,
    fix_version TEXT,
    fix_run_id BIGINT REFERENCES disclose_runs(id),
    advisory_id TEXT UNIQUE,
    opened_at BIGINT NOT NULL,
    opened_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Need-to-know: organisations that see a case besides the clearinghouse
-- (the submitter's, the vendor's). role: reporter | vendor | coordinator.
CREATE TABLE disclose_participants (
    case_id BIGINT NOT NULL REFERENCES disclose_cases(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    role TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, org_id)
);
CREATE INDEX disclose_participants_org ON disclose_participants(org_id);

CREATE TABLE disclose_case_events (
    id @ID@,
    case_id BIGINT NOT NULL REFERENCES disclose_cases(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT
);
CREATE INDEX disclose_case_events_case ON disclose_case_events(case_id);

-- Advisory numbers per year (CH-YYYY-NNNN).
CREATE TABLE disclose_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- Published advisories: the provider feed reads csaf by csaf_path; the
-- remediation subsystem reads new rows (id increases) to send notices:
-- vuln_key is the clearinghouse id, kb_vuln_id the knowledge-base
-- vulnerability it was stored as (vulns.id).
CREATE TABLE published_advisories (
    id @ID@,
    case_id BIGINT NOT NULL REFERENCES disclose_cases(id),
    vuln_key TEXT NOT NULL UNIQUE,
    osv_id TEXT NOT NULL,
    kb_vuln_id BIGINT NOT NULL REFERENCES vulns(id),
    title TEXT NOT NULL,
    csaf_path TEXT NOT NULL UNIQUE,
    csaf TEXT NOT NULL,
    osv TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX published_advisories_at ON published_advisories(published_at);
