-- The review page: supervisors' accounts, browser sessions, and the state of
-- each referred case (assignment, escalation). Decisions themselves live in
-- the movement record (0920) and every change is in the audit log.

-- Accounts of people who sign in to the review page. The password is kept
-- only as an argon2id hash in PHC string form ($argon2id$v=19$m=...,t=...,
-- p=...$salt$hash), parameters included, so that they can be raised later.
CREATE TABLE accounts (
	id              INTEGER PRIMARY KEY,
	name            TEXT NOT NULL UNIQUE CHECK (name <> ''),
	role            TEXT NOT NULL CHECK (role IN ('supervisor', 'chief')),
	password_hash   TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	disabled_at     TEXT,
	failed_logins   INTEGER NOT NULL DEFAULT 0,
	locked_until    TEXT
);

-- Browser sessions. Only a SHA-256 of the session secret is kept (the
-- cookie holds the secret); a session is of an account or, for a counter
-- terminal's own submissions, of an API token.
CREATE TABLE ui_sessions (
	id_hash      BLOB PRIMARY KEY,
	account_id   INTEGER REFERENCES accounts(id),
	token_id     INTEGER REFERENCES api_tokens(id),
	role         TEXT NOT NULL,
	name         TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	expires_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	ended_at     TEXT,
	CHECK ((account_id IS NULL) <> (token_id IS NULL))
);

-- The review state of a referred case; a case without a row is open.
CREATE TABLE review_cases (
	verification_id      TEXT PRIMARY KEY REFERENCES verifications(id),
	assigned_to          INTEGER REFERENCES accounts(id),
	assigned_at          TEXT,
	escalated_to         INTEGER REFERENCES accounts(id),
	escalated_by         INTEGER REFERENCES accounts(id),
	escalated_at         TEXT,
	escalation_note_blob TEXT REFERENCES blobs(id)
);
CREATE INDEX review_cases_by_assignee ON review_cases(assigned_to);

-- A case's timeline is its audit entries.
CREATE INDEX audit_log_by_object ON audit_log(object_type, object_id, seq);
