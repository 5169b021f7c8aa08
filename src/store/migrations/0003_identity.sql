-- 0003: organisations, users and API tokens.
CREATE TABLE orgs (
    id @ID@,
    slug TEXT NOT NULL UNIQUE,          -- short name used on the command line and in URLs
    name TEXT NOT NULL,
    category TEXT NOT NULL,             -- nss | dod | fceb | sltt | ci | partner | developer | clearinghouse
    sector TEXT,                        -- critical-infrastructure sector (category ci)
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL UNIQUE,
    roles TEXT NOT NULL,                -- comma-separated: admin,analyst,operator,partner,developer,evaluator
    clearance TEXT NOT NULL,            -- unclassified | cui | secret | top_secret
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE INDEX users_org ON users(org_id);

-- Tokens are shown once; only a keyed hash of the secret part is stored.
CREATE TABLE tokens (
    id @ID@,
    user_id BIGINT NOT NULL REFERENCES users(id),
    lookup TEXT NOT NULL UNIQUE,        -- public part of the token, for finding the row
    hash TEXT NOT NULL,                 -- BLAKE2b of the secret part
    name TEXT,
    scope TEXT,                         -- NULL: the user's roles; else a narrower comma list
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX tokens_user ON tokens(user_id);
