-- API tokens: only a SHA-256 hash of each token is kept; the token itself is
-- shown once, when it is created.
CREATE TABLE api_tokens (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('counter', 'station', 'supervisor', 'admin')),
	hash       BLOB NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	revoked_at TEXT
);
