-- 0001: foundation. Instance-wide settings.
-- Portable SQL: @ID@, @BLOB@ and @REAL@ are replaced per backend (store.c).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('created_by', 'clearinghouse');
