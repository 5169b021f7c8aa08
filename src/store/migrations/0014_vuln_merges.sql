-- 0014: a record of vulnerabilities merged into another when an alias joined
-- them (vuln/kb.c). The merged-away id is deleted from vulns, but exposures
-- may still name it; an incremental exposure run re-checks, for each
-- vulnerability it was asked about, the exposures of every id merged into it
-- (following chains), by exact lookups, instead of reading all of an asset's
-- exposures to find the ones whose vulnerability no longer exists.
-- Merges made before this migration are not recorded: the full computation
-- (exposure recompute --all) settles their exposures.
CREATE TABLE vuln_merges (
    id @ID@,
    gone BIGINT NOT NULL,               -- the id merged away
    kept BIGINT NOT NULL,               -- the vulnerability it joined
    merged_at BIGINT NOT NULL
);
CREATE INDEX vuln_merges_kept ON vuln_merges(kept);
-- new vulnerabilities take ids above every id merged away (SQLite would
-- otherwise give the largest one again): its maximum is one index probe
CREATE INDEX vuln_merges_gone ON vuln_merges(gone);
