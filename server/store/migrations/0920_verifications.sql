-- Verifications: one row per request of a counter, with its report (an
-- encrypted blob: it holds the MRZ) and the evidence images it was made from.
-- Columns in clear hold no personal data: ids, counters, outcomes, reason
-- codes and keyed hashes.
CREATE TABLE verifications (
	id             TEXT PRIMARY KEY,
	created_at     TEXT NOT NULL,
	actor_kind     TEXT NOT NULL,
	actor_id       TEXT NOT NULL,
	actor_name     TEXT NOT NULL,
	counter        TEXT NOT NULL,
	direction      TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
	route          TEXT NOT NULL,
	recommendation TEXT NOT NULL CHECK (recommendation IN ('CLEAR', 'REFER', 'ALERT')),
	reasons        TEXT NOT NULL,
	report_blob    TEXT NOT NULL REFERENCES blobs(id),
	request_id     TEXT NOT NULL,
	document_hash  TEXT,
	traveller_hash TEXT
);
CREATE INDEX verifications_by_time ON verifications(created_at);
CREATE INDEX verifications_by_recommendation ON verifications(recommendation, created_at);
CREATE INDEX verifications_by_counter ON verifications(counter, created_at);

CREATE TABLE verification_evidence (
	verification_id TEXT NOT NULL REFERENCES verifications(id),
	name            TEXT NOT NULL,
	blob_id         TEXT NOT NULL REFERENCES blobs(id),
	PRIMARY KEY (verification_id, name)
);

-- The movement record of the immigration monitoring system: who crossed (by
-- keyed hash; details encrypted), with which document, where, when, which
-- way, what checkpost recommended and what the officer finally decided.
-- Off-loaded (kept from departing) and deported travellers are decisions.
CREATE TABLE movements (
	id               INTEGER PRIMARY KEY,
	verification_id  TEXT NOT NULL UNIQUE REFERENCES verifications(id),
	at               TEXT NOT NULL,
	counter          TEXT NOT NULL,
	direction        TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
	route            TEXT NOT NULL,
	traveller_hash   TEXT,
	document_hash    TEXT,
	details_blob     TEXT REFERENCES blobs(id),
	recommendation   TEXT NOT NULL CHECK (recommendation IN ('CLEAR', 'REFER', 'ALERT')),
	decision         TEXT CHECK (decision IN ('allowed', 'refused', 'offloaded', 'deported')),
	decision_actions TEXT,
	decided_at       TEXT,
	decided_by       TEXT,
	comment_blob     TEXT REFERENCES blobs(id)
);
CREATE INDEX movements_by_traveller ON movements(traveller_hash, at);
CREATE INDEX movements_by_document ON movements(document_hash, at);
CREATE INDEX movements_by_decision ON movements(decision, at);
