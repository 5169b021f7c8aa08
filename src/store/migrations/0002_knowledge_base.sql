-- 0002: the knowledge base. Advisories from every source, grouped into
-- vulnerabilities by their aliases; affected packages; CISA KEV; EPSS;
-- import runs and the records they rejected.

-- A vulnerability: the closure of advisories that name each other.
CREATE TABLE vulns (
    id @ID@,
    display_id TEXT NOT NULL,          -- the CVE id when there is one, else the first id seen
    created_at BIGINT NOT NULL
);

-- Every identifier (record id or alias) and the vulnerability it belongs to.
CREATE TABLE vuln_keys (
    key TEXT PRIMARY KEY,
    vuln_id BIGINT NOT NULL REFERENCES vulns(id)
);
CREATE INDEX vuln_keys_vuln ON vuln_keys(vuln_id);

CREATE TABLE advisories (
    id @ID@,
    source TEXT NOT NULL,              -- osv | cve5 | csaf
    source_id TEXT NOT NULL,           -- the record's own id
    vuln_id BIGINT NOT NULL REFERENCES vulns(id),
    summary TEXT,
    details TEXT,
    published BIGINT,
    modified BIGINT NOT NULL,
    modified_nsec BIGINT NOT NULL DEFAULT 0,
    withdrawn BIGINT,
    severity TEXT,                     -- none | low | medium | high | critical (highest CVSS base)
    cvss_score @REAL@,                 -- highest CVSS base score among the record's vectors
    kev_flag BIGINT NOT NULL DEFAULT 0,
    ssvc_exploitation TEXT,
    ssvc_automatable TEXT,
    ssvc_technical_impact TEXT,
    content_hash TEXT NOT NULL,        -- of the original record: re-imports that change nothing are cheap
    record TEXT NOT NULL,              -- the original record
    imported_at BIGINT NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX advisories_vuln ON advisories(vuln_id);
CREATE INDEX advisories_modified ON advisories(modified);

CREATE TABLE advisory_aliases (
    advisory_id BIGINT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    PRIMARY KEY (advisory_id, alias)
);
CREATE INDEX advisory_aliases_alias ON advisory_aliases(alias);

-- One row per affected package (OSV) or product (CVE 5, CSAF) of an advisory.
CREATE TABLE affected (
    id @ID@,
    advisory_id BIGINT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    ecosystem TEXT,                    -- OSV ecosystem name, NULL when unknown
    name TEXT,
    norm_name TEXT,                    -- name normalised per ecosystem (PEP 503, case folding)
    purl TEXT,
    vendor TEXT,
    product TEXT,
    status TEXT,
    ranges TEXT,                       -- OSV ranges as JSON
    versions TEXT,                     -- JSON array of explicit versions
    cve_versions TEXT,                 -- CVE 5 versions[] as JSON
    severity TEXT                      -- JSON array of per-affected severity, OSV
);
CREATE INDEX affected_package ON affected(ecosystem, norm_name);
CREATE INDEX affected_advisory ON affected(advisory_id);

CREATE TABLE kev (
    cve TEXT PRIMARY KEY,
    vendor TEXT,
    product TEXT,
    name TEXT,
    description TEXT,
    date_added BIGINT NOT NULL,
    due_date BIGINT,
    required_action TEXT,
    ransomware TEXT,
    notes TEXT,
    cwes TEXT,
    imported_at BIGINT NOT NULL
);

CREATE TABLE epss (
    cve TEXT PRIMARY KEY,
    epss @REAL@ NOT NULL,
    percentile @REAL@ NOT NULL,
    score_date BIGINT
);

CREATE TABLE imports (
    id @ID@,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    paths TEXT NOT NULL,
    added BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE import_rejects (
    id @ID@,
    import_id BIGINT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    file TEXT NOT NULL,
    location TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX import_rejects_import ON import_rejects(import_id);
