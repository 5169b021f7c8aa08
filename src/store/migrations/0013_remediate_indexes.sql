-- 0013: indexes for the incremental exposure run (docs/remediation.md). It
-- asks for advisories imported since its last run and for risk acceptances
-- that have expired; without these both scanned their whole tables (tens of
-- milliseconds each with all OSV data and 300,000 exposures), which is most
-- of the 100 ms an incremental run may take. The second is partial, so that
-- the many exposures that are not risk-accepted cost nothing to insert.
CREATE INDEX advisories_imported ON advisories(imported_at);
CREATE INDEX exposures_risk_expiry ON exposures(risk_expires_at) WHERE status = 'risk_accepted';
-- A notice lists one organisation's exposures to one vulnerability: with the
-- organisation in the vulnerability's index it reads only those rows, not
-- every organisation's (a third of a full computation's time before).
DROP INDEX exposures_vuln;
CREATE INDEX exposures_vuln ON exposures(vuln_id, org_id);
