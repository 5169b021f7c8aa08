-- 0008: scan coordination and deconfliction (src/coord/service.h,
-- docs/coordination.md): targets, authorisations of network scopes, leases,
-- coverage reports, incidents with their evidence and the deconfliction
-- queries they rest on. Times are Unix seconds (UTC).

-- What can be scanned. kind: repo | package | network. `locator` is the
-- canonical text the target was given as (repository URL, purl, scope list);
-- `match_key` is what repository and package leases are compared on (exact
-- match); `scope` is the canonical space-separated list of CIDR blocks and
-- DNS names of a network target.
CREATE TABLE coord_targets (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    locator TEXT NOT NULL,
    match_key TEXT,
    scope TEXT,
    description TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (org_id, name)
);
CREATE INDEX coord_targets_key ON coord_targets(match_key);

-- An operator's permission for one partner organisation to lease a network
-- target during [starts_at, ends_at), with rules of engagement (JSON object:
-- techniques, rate limits, hours, contacts). hours_from/hours_to are the
-- allowed daily hours in UTC minutes (NULL: any time).
CREATE TABLE coord_authorizations (
    id @ID@,
    target_id BIGINT NOT NULL REFERENCES coord_targets(id),
    partner_org_id BIGINT NOT NULL REFERENCES orgs(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    rules TEXT NOT NULL,
    hours_from BIGINT,
    hours_to BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT,
    revoke_reason TEXT
);
CREATE INDEX coord_authorizations_target ON coord_authorizations(target_id, partner_org_id);

-- A partner's lease on a target for [starts_at, ends_at). Released and
-- revoked leases keep their row; ends_at is then cut to the moment they
-- ended (so queries about earlier times still find them). state: active |
-- released | revoked (expiry is ends_at <= now, not a state). scope: the part
-- of a network target leased (NULL: all of it). sources / ua_tokens: the
-- scanner's declared source prefixes and user-agent tokens, space-separated.
-- change_seq is the coord_head sequence of the last change: processes that
-- share the database catch up on leases changed since the last one they saw.
CREATE TABLE coord_leases (
    id @ID@,
    target_id BIGINT NOT NULL REFERENCES coord_targets(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    authorization_id BIGINT REFERENCES coord_authorizations(id),
    mode TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    scope TEXT,
    sources TEXT NOT NULL,
    ua_tokens TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    ended_at BIGINT,
    ended_by TEXT,
    end_reason TEXT,
    change_seq BIGINT NOT NULL
);
CREATE INDEX coord_leases_target ON coord_leases(target_id, ends_at);
CREATE INDEX coord_leases_org ON coord_leases(org_id);
CREATE INDEX coord_leases_change ON coord_leases(change_seq);
CREATE INDEX coord_leases_auth ON coord_leases(authorization_id);

-- Serialises lease writers (the row is locked by the UPDATE until commit)
-- and numbers their changes.
CREATE TABLE coord_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO coord_head (id, seq) VALUES (1, 0);

-- What a partner scanned under a lease, with which tool, and how many findings.
CREATE TABLE coord_reports (
    id @ID@,
    lease_id BIGINT NOT NULL REFERENCES coord_leases(id),
    scanned TEXT NOT NULL,
    tool TEXT NOT NULL,
    findings BIGINT NOT NULL,
    notes TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX coord_reports_lease ON coord_reports(lease_id);

-- Unauthorised scanning an operator reported. classification: unclassified |
-- cui | secret | top_secret. status: open | referred | closed.
CREATE TABLE coord_incidents (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    observed_at BIGINT NOT NULL,
    classification TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    referred_at BIGINT
);
CREATE INDEX coord_incidents_org ON coord_incidents(org_id);

-- Evidence: log lines are kept (content); packet captures only by digest.
CREATE TABLE coord_incident_evidence (
    id @ID@,
    incident_id BIGINT NOT NULL REFERENCES coord_incidents(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    content TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX coord_incident_evidence_incident ON coord_incident_evidence(incident_id);

-- The deconfliction queries an incident rests on, with the answers given.
CREATE TABLE coord_incident_queries (
    id @ID@,
    incident_id BIGINT NOT NULL REFERENCES coord_incidents(id),
    query TEXT NOT NULL,
    answer TEXT NOT NULL,
    asked_at BIGINT NOT NULL
);
CREATE INDEX coord_incident_queries_incident ON coord_incident_queries(incident_id);
