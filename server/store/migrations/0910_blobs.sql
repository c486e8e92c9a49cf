-- Encrypted blobs: document images, finger images and templates, evidence
-- images, reports and traveller details, each sealed with AES-256-GCM by the
-- keyring (server/crypt); key_id names the key that sealed data (also kept
-- inside the ciphertext). Keys are never stored here.
-- Purged blobs (past their retention) keep their row, without data, so that a
-- report's reference says "purged" rather than "never existed".
CREATE TABLE blobs (
	id           TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL,
	key_id       TEXT,
	data         BLOB,
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	purged_at    TEXT,
	CHECK ((data IS NULL) = (key_id IS NULL))
);
CREATE INDEX blobs_by_key ON blobs(key_id) WHERE data IS NOT NULL;
CREATE INDEX blobs_by_expiry ON blobs(expires_at) WHERE data IS NOT NULL AND expires_at IS NOT NULL;

-- Facts about the keys that are safe to store: the hashing key's check value
-- (catches a server started with another key file).
CREATE TABLE vault_meta (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
