-- The audit log: append-only and hash-chained. Each entry's hash is SHA-256
-- over a canonical encoding of its fields and of the previous entry's hash
-- (server/store/audit.go); seq runs 1, 2, 3... without gaps. No personal data
-- in clear: objects are referenced by id, identifiers only as keyed hashes.
CREATE TABLE audit_log (
	seq         INTEGER PRIMARY KEY,
	at          TEXT NOT NULL,
	actor_kind  TEXT NOT NULL,
	actor_id    TEXT NOT NULL,
	actor_name  TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	remote      TEXT NOT NULL,
	details     TEXT NOT NULL,
	prev_hash   BLOB NOT NULL,
	hash        BLOB NOT NULL UNIQUE
);

-- The chain's end, updated in the same transaction as each append, so that
-- deleting the newest entries is seen: the head names an entry that is gone.
-- seal is an HMAC of (seq, hash) under the hashing key, which is not in the
-- database: rewriting the chain and its head needs the keys.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash BLOB NOT NULL,
	seal BLOB
);

-- Guard rails against mistakes in code, not against someone editing the
-- file (they can drop a trigger; the hash chain is what catches them).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head is never deleted'); END;
