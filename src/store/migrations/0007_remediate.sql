-- 0007: remediation. Assets of organisations and their inventories (every
-- version kept), the reverse index package -> assets, exposures (asset x
-- vulnerability x package) with their lifecycle, the deadlines every
-- directive gave them over time, forensic-triage tasks and notices.
-- docs/remediation.md describes the model.

CREATE TABLE assets (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    environment TEXT NOT NULL,
    internet_facing TEXT NOT NULL,      -- yes | no | unknown (unknown counts as exposed)
    exposed_since BIGINT,               -- when it last became yes/unknown; NULL while "no"
    mission_impact TEXT NOT NULL,       -- low | medium | high
    wellbeing_impact TEXT NOT NULL,     -- low | medium | high
    tags TEXT NOT NULL,                 -- comma list
    inventory_id BIGINT,                -- current inventory version (asset_inventories.id)
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
CREATE INDEX assets_org ON assets(org_id);

-- Every inventory ever attached; the newest is the asset's current one.
CREATE TABLE asset_inventories (
    id @ID@,
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    version BIGINT NOT NULL,            -- 1, 2, ... per asset
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,               -- sbom.h format name
    sha256 TEXT NOT NULL,               -- hex digest of content
    content @BLOB@ NOT NULL,            -- the file as attached
    n_components BIGINT NOT NULL,
    attached_at BIGINT NOT NULL,
    attached_by TEXT NOT NULL,
    UNIQUE (asset_id, version)
);

-- Components of each inventory version. eco_key/norm_name are the matching
-- index's key of the package as matched (Debian: the source package);
-- alt_eco_key is the bare ecosystem a release-specific key falls back to.
CREATE TABLE inventory_components (
    id @ID@,
    inventory_id BIGINT NOT NULL REFERENCES asset_inventories(id),
    ecosystem TEXT,
    release TEXT,
    name TEXT NOT NULL,
    version TEXT,
    purl TEXT,
    source_name TEXT,
    source_version TEXT,
    eco_key TEXT,
    alt_eco_key TEXT,
    norm_name TEXT
);
CREATE INDEX inventory_components_key ON inventory_components(inventory_id, eco_key, norm_name);
CREATE INDEX inventory_components_alt ON inventory_components(inventory_id, alt_eco_key, norm_name);

-- Reverse index: which assets' current inventories hold a package.
CREATE TABLE asset_packages (
    eco_key TEXT NOT NULL,
    norm_name TEXT NOT NULL,
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    PRIMARY KEY (eco_key, norm_name, asset_id)
);
CREATE INDEX asset_packages_asset ON asset_packages(asset_id);

CREATE TABLE exposures (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    vuln_id BIGINT NOT NULL,
    eco_key TEXT NOT NULL,              -- the package, as in inventory_components
    norm_name TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    package TEXT NOT NULL,              -- as the inventory names it
    version TEXT NOT NULL,              -- affected version last seen
    fixed TEXT,                         -- smallest version clearing every matched advisory
    advisories TEXT NOT NULL,           -- space-separated advisory ids that matched
    status TEXT NOT NULL,               -- open | in_progress | remediated | risk_accepted | not_affected
    status_at BIGINT NOT NULL,
    detected_at BIGINT NOT NULL,        -- first detection
    remediated_at BIGINT,
    kev BIGINT NOT NULL,
    kev_added BIGINT,
    kev_due BIGINT,
    exploitation TEXT,                  -- none | poc | active
    automatable TEXT,                   -- yes | no
    technical_impact TEXT,              -- partial | total
    ssvc_source TEXT,                   -- adp | cvss | default
    cvss @REAL@,
    due_at BIGINT,                      -- earliest due date of the directives in force
    directives TEXT,                    -- space-separated ids of those directives
    outcome TEXT,                       -- the decision that gives due_at
    forensic BIGINT NOT NULL,
    risk_justification TEXT,
    risk_approver TEXT,
    risk_expires_at BIGINT,
    vex_justification TEXT,
    updated_at BIGINT NOT NULL,
    UNIQUE (asset_id, vuln_id, eco_key, norm_name)
);
CREATE INDEX exposures_org ON exposures(org_id, status);
CREATE INDEX exposures_vuln ON exposures(vuln_id);

-- Lifecycle: every status change, automatic or not (first row: NULL -> open).
CREATE TABLE exposure_transitions (
    id @ID@,
    exposure_id BIGINT NOT NULL REFERENCES exposures(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX exposure_transitions_exposure ON exposure_transitions(exposure_id, at);

-- What each directive decided for an exposure, appended whenever it changes,
-- so that reports as of a past date use what was known then.
CREATE TABLE exposure_deadlines (
    id @ID@,
    exposure_id BIGINT NOT NULL REFERENCES exposures(id),
    directive TEXT NOT NULL,
    computed_at BIGINT NOT NULL,
    applies BIGINT NOT NULL,            -- 0: out of scope or no deadline (action none)
    inputs TEXT NOT NULL,               -- "kev=yes exposure=no ..."
    outcome TEXT NOT NULL,
    action TEXT NOT NULL,               -- none | days | date | next_upgrade
    clock_start BIGINT,
    tier_met BIGINT,
    due BIGINT,
    forensic BIGINT NOT NULL
);
CREATE INDEX exposure_deadlines_exposure ON exposure_deadlines(exposure_id, directive, computed_at);

-- Tasks a decision opens (BOD 26-04 "3 days & forensic investigation").
CREATE TABLE remediation_tasks (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    exposure_id BIGINT NOT NULL REFERENCES exposures(id),
    kind TEXT NOT NULL,                 -- forensic_triage
    directive TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    due BIGINT,
    status TEXT NOT NULL,               -- open | done
    UNIQUE (exposure_id, kind, directive)
);

-- Patch distribution: one notice per organisation and vulnerability change.
CREATE TABLE notices (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    vuln_id BIGINT NOT NULL,
    vuln TEXT NOT NULL,                 -- display id
    created_at BIGINT NOT NULL,
    reasons TEXT NOT NULL,              -- advisory | kev | fixed, space-separated
    due_at BIGINT,
    body TEXT NOT NULL                  -- JSON: assets, packages, versions, fixed versions
);
CREATE INDEX notices_org ON notices(org_id, created_at);

-- Watermarks of the incremental recomputation.
CREATE TABLE remediate_state (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
