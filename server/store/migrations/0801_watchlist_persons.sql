-- The person watchlist (traffickers, wanted persons, exit control list).
-- A person is never deleted: removal sets removed_at, and a re-import of
-- the same list and ref removes the old row and adds a new one.
CREATE TABLE watchlist_persons (
	id          INTEGER PRIMARY KEY,
	list        TEXT NOT NULL CHECK (list <> ''),
	ref         TEXT,
	birth_date  TEXT NOT NULL DEFAULT '',
	nationality TEXT NOT NULL DEFAULT '',
	reason      TEXT NOT NULL CHECK (reason <> ''),
	import_id   INTEGER REFERENCES watchlist_imports(id),
	line        INTEGER,
	listed_at   TEXT NOT NULL,
	removed_at  TEXT
);
CREATE UNIQUE INDEX watchlist_persons_live_ref ON watchlist_persons(list, ref)
	WHERE ref IS NOT NULL AND removed_at IS NULL;

-- The names of a person: seq 0 is the main name, the others aliases.
CREATE TABLE watchlist_person_names (
	person             INTEGER NOT NULL REFERENCES watchlist_persons(id),
	seq                INTEGER NOT NULL,
	primary_name       TEXT NOT NULL,
	secondary_name     TEXT NOT NULL,
	original_primary   TEXT NOT NULL DEFAULT '',
	original_secondary TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (person, seq)
);
