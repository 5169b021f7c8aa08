-- 0009: reserved for the HTTP API, which keeps its state in the tables of
-- 0003 (identity) and 0004 (audit). Kept so the sequence has no gap: the
-- runner applies every migration above a database's version, so a later
-- 0009 would be skipped by databases already past it.
UPDATE meta SET value = value WHERE key = 'created_by';
