-- 0011: information sharing (src/share, docs/sharing.md): the index of
-- STIX objects served by the TAXII 2.1 collections, the watermarks of the
-- sources that fill it, incidents an operator released for sharing, and
-- webhooks with their queued deliveries. Times are Unix seconds (UTC) except
-- the *_ms columns, which are Unix milliseconds (STIX timestamps carry
-- milliseconds).

-- One row per version of a STIX object in a collection. scope_org 0 means
-- every organisation may see it; otherwise only that organisation (notices,
-- TLP:AMBER+STRICT indicators). level is the clearance needed (identity.h).
-- An object is keyed by (collection, scope_org, level, stix_id): the same
-- observable reported under two classifications is two rows, so neither
-- hides nor reveals the other.
-- body is the object's JSON members other than type, spec_version, id,
-- created and modified (written around it when served), so that a content
-- hash does not depend on the version timestamps. added_ms is the TAXII
-- date_added: every row of one sync batch shares it, and batches take
-- strictly increasing values under the share_head lock, so commit order is
-- added order and added_after paging never skips a row.
CREATE TABLE share_objects (
    id @ID@,
    collection TEXT NOT NULL,
    scope_org BIGINT NOT NULL,
    level BIGINT NOT NULL,
    stix_id TEXT NOT NULL,
    stix_type TEXT NOT NULL,
    created_ms BIGINT,                  -- NULL for cyber-observables
    modified_ms BIGINT,                 -- NULL for cyber-observables and marking definitions
    version_ms BIGINT NOT NULL,         -- modified, else created, else added
    added_ms BIGINT NOT NULL,
    latest BIGINT NOT NULL,             -- 1 for the newest version of the object
    first BIGINT NOT NULL,              -- 1 for the oldest
    hash TEXT NOT NULL,                 -- BLAKE2b of body
    body TEXT NOT NULL,
    UNIQUE (collection, scope_org, level, stix_id, version_ms)
);
CREATE INDEX share_objects_added ON share_objects(collection, added_ms, id);
CREATE INDEX share_objects_stix ON share_objects(collection, stix_id, scope_org, level, latest);

-- Serialises index writers (the row is locked by the UPDATE until commit)
-- and remembers the last date_added handed out.
CREATE TABLE share_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_added_ms BIGINT NOT NULL
);
INSERT INTO share_head (id, seq, last_added_ms) VALUES (1, 0, 0);

-- Watermarks of the sources (TAXII collections and webhook events).
CREATE TABLE share_state (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Incidents of unauthorised scanning the reporting operator released to the
-- indicators collection, with the TLP 2.0 level they may travel under
-- (clear | green | amber | amber+strict).
CREATE TABLE share_incident_releases (
    incident_id BIGINT PRIMARY KEY REFERENCES coord_incidents(id),
    tlp TEXT NOT NULL,
    released_at BIGINT NOT NULL,
    released_by TEXT NOT NULL
);
CREATE INDEX share_incident_releases_at ON share_incident_releases(released_at);

-- Webhook endpoints of an organisation. The signing secret is shown once;
-- secret_box is libsodium secretbox(secret) under the server's secret key
-- (nonce first). state: active | paused.
CREATE TABLE webhooks (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,               -- space-separated event types
    secret_box @BLOB@ NOT NULL,
    state TEXT NOT NULL,
    paused_reason TEXT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE INDEX webhooks_org ON webhooks(org_id);

-- One event for one endpoint. delivery_id is sent as X-Clearinghouse-Delivery
-- and stays the same across retries, so receivers can drop duplicates.
-- state: pending | delivering (leased by a delivery process until
-- lease_expires_at) | delivered | failed (attempts exhausted).
CREATE TABLE webhook_deliveries (
    id @ID@,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    delivery_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    event_key TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    last_status BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (webhook_id, event_key)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);

-- Every attempt and its outcome.
CREATE TABLE webhook_attempts (
    id @ID@,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id),
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status BIGINT,                      -- HTTP status; NULL when no answer
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id);
