-- The fingerprint watchlist (1:N gallery). A subject is the listing
-- authority's id for a person; each enrolled finger view is one template,
-- sealed in the blobs table (kind finger-template) as the source template
-- (checkpost native format) and the matcher's prepared form, so that the
-- gallery loads without preparing a million templates again. Nothing is
-- deleted: removal sets removed_at; re-enrolling a removed subject revives
-- it with the new templates only.
CREATE TABLE fingerprint_subjects (
	id          TEXT PRIMARY KEY CHECK (id <> ''),
	enrolled_at TEXT NOT NULL,
	removed_at  TEXT
);

CREATE TABLE fingerprint_templates (
	id          INTEGER PRIMARY KEY,
	subject     TEXT NOT NULL REFERENCES fingerprint_subjects(id),
	position    INTEGER NOT NULL CHECK (position BETWEEN 0 AND 10),
	minutiae    INTEGER NOT NULL,
	blob_id     TEXT NOT NULL REFERENCES blobs(id),
	enrolled_at TEXT NOT NULL,
	removed_at  TEXT
);
CREATE INDEX fingerprint_templates_by_subject ON fingerprint_templates(subject);
