-- Imports of watchlist files (lost/stolen documents, persons): what came
-- from where and when, so that every listed entry can be traced to its file
-- and line.
CREATE TABLE watchlist_imports (
	id          INTEGER PRIMARY KEY,
	list        TEXT NOT NULL CHECK (list IN ('documents', 'persons')),
	source      TEXT NOT NULL,
	lines       INTEGER NOT NULL DEFAULT 0,
	added       INTEGER NOT NULL DEFAULT 0,
	updated     INTEGER NOT NULL DEFAULT 0,
	imported_at TEXT NOT NULL
);

-- Lost, stolen, revoked travel documents. number is as reported (upper
-- case, no fillers); number_key is it with the characters MRZ readers
-- confuse reduced to one per class (engine/watchlist.NormalizeDocumentNumber).
CREATE TABLE lost_documents (
	id         INTEGER PRIMARY KEY,
	issuer     TEXT NOT NULL CHECK (length(issuer) = 3),
	number     TEXT NOT NULL CHECK (number <> ''),
	number_key TEXT NOT NULL,
	reason     TEXT NOT NULL CHECK (reason <> ''),
	authority  TEXT NOT NULL CHECK (authority <> ''),
	reported   TEXT NOT NULL DEFAULT '',
	import_id  INTEGER REFERENCES watchlist_imports(id),
	line       INTEGER,
	listed_at  TEXT NOT NULL,
	UNIQUE (issuer, number)
);
CREATE INDEX lost_documents_by_key ON lost_documents(issuer, number_key);

-- What an update or a removal replaced: nothing stored is lost.
CREATE TABLE lost_documents_history (
	id         INTEGER PRIMARY KEY,
	document   INTEGER NOT NULL,
	issuer     TEXT NOT NULL,
	number     TEXT NOT NULL,
	reason     TEXT NOT NULL,
	authority  TEXT NOT NULL,
	reported   TEXT NOT NULL,
	import_id  INTEGER,
	line       INTEGER,
	listed_at  TEXT NOT NULL,
	change     TEXT NOT NULL CHECK (change IN ('update', 'delete')),
	changed_at TEXT NOT NULL
);

CREATE TRIGGER lost_documents_keep_updates BEFORE UPDATE ON lost_documents
BEGIN
	INSERT INTO lost_documents_history(document, issuer, number, reason, authority, reported, import_id, line, listed_at, change, changed_at)
	VALUES (OLD.id, OLD.issuer, OLD.number, OLD.reason, OLD.authority, OLD.reported, OLD.import_id, OLD.line, OLD.listed_at, 'update', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER lost_documents_keep_deletes BEFORE DELETE ON lost_documents
BEGIN
	INSERT INTO lost_documents_history(document, issuer, number, reason, authority, reported, import_id, line, listed_at, change, changed_at)
	VALUES (OLD.id, OLD.issuer, OLD.number, OLD.reason, OLD.authority, OLD.reported, OLD.import_id, OLD.line, OLD.listed_at, 'delete', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
