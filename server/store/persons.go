package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"checkpost/engine/watchlist"
)

// PersonSource yields persons to import, as *watchlist.PersonCSV does: a
// bad record is a *watchlist.LineError, the end io.EOF.
type PersonSource interface {
	Next() (watchlist.Person, error)
}

// ImportPersons adds the persons of src to the watchlist, in one
// transaction: when a line is bad (or a list and ref appear twice in the
// file) nothing is imported and an *ImportError names the lines. A person
// whose list and ref are already listed by an earlier import is replaced:
// the old row is marked removed, never deleted.
func (db *DB) ImportPersons(ctx context.Context, source string, src PersonSource) (ImportResult, error) {
	var res ImportResult
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("store: import persons: %w", err)
	}
	defer tx.Rollback()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	r, err := tx.ExecContext(ctx, `INSERT INTO watchlist_imports(list, source, imported_at) VALUES ('persons', ?, ?)`, source, now)
	if err != nil {
		return res, fmt.Errorf("store: import persons: %w", err)
	}
	if res.ImportID, err = r.LastInsertId(); err != nil {
		return res, fmt.Errorf("store: import persons: %w", err)
	}
	retire, err := tx.PrepareContext(ctx, `UPDATE watchlist_persons SET removed_at = ?
		WHERE list = ? AND ref = ? AND removed_at IS NULL AND import_id IS NOT ?`)
	if err != nil {
		return res, fmt.Errorf("store: import persons: %w", err)
	}
	defer retire.Close()
	insert, err := tx.PrepareContext(ctx, `INSERT INTO watchlist_persons(list, ref, birth_date, nationality, reason, import_id, line, listed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return res, fmt.Errorf("store: import persons: %w", err)
	}
	defer insert.Close()
	insertName, err := tx.PrepareContext(ctx, `INSERT INTO watchlist_person_names(person, seq, primary_name, secondary_name, original_primary, original_secondary)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return res, fmt.Errorf("store: import persons: %w", err)
	}
	defer insertName.Close()
	bad := &ImportError{Source: source}
	lineOf := func() int {
		if l, ok := src.(interface{ Line() int }); ok {
			return l.Line()
		}
		return res.Records
	}
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if bad.collect(err) {
				continue
			}
			return res, fmt.Errorf("store: import persons from %s: %w", source, err)
		}
		res.Records++
		if res.Records%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		line := lineOf()
		if p, err = p.Normalize(); err != nil {
			bad.collect(&watchlist.LineError{Line: line, Err: err})
			continue
		}
		var ref any
		if p.Ref != "" {
			ref = p.Ref
			r, err := retire.ExecContext(ctx, now, p.List, p.Ref, res.ImportID)
			if err != nil {
				return res, fmt.Errorf("store: import persons: %s line %d: %w", source, line, err)
			}
			if n, _ := r.RowsAffected(); n > 0 {
				res.Updated++
			} else {
				var first int
				err := tx.QueryRowContext(ctx, `SELECT line FROM watchlist_persons WHERE list = ? AND ref = ? AND removed_at IS NULL`, p.List, p.Ref).Scan(&first)
				if err == nil {
					bad.collect(&watchlist.LineError{Line: line, Err: fmt.Errorf("list %q ref %q is already on line %d of this file", p.List, p.Ref, first)})
					continue
				}
				res.Added++
			}
		} else {
			res.Added++
		}
		r, err := insert.ExecContext(ctx, p.List, ref, p.BirthDate.String(), p.Nationality, p.Reason, res.ImportID, line, now)
		if err != nil {
			return res, fmt.Errorf("store: import persons: %s line %d: %w", source, line, err)
		}
		id, err := r.LastInsertId()
		if err != nil {
			return res, fmt.Errorf("store: import persons: %w", err)
		}
		for seq, n := range p.Names {
			if _, err := insertName.ExecContext(ctx, id, seq, n.Primary, n.Secondary, n.OriginalPrimary, n.OriginalSecondary); err != nil {
				return res, fmt.Errorf("store: import persons: %s line %d: %w", source, line, err)
			}
		}
	}
	if bad.Bad > 0 {
		return res, bad
	}
	if _, err := tx.ExecContext(ctx, `UPDATE watchlist_imports SET lines = ?, added = ?, updated = ? WHERE id = ?`,
		res.Records, res.Added, res.Updated, res.ImportID); err != nil {
		return res, fmt.Errorf("store: import persons: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("store: import persons: commit: %w", err)
	}
	return res, nil
}

// CountPersons returns the number of listed (not removed) persons.
func (db *DB) CountPersons(ctx context.Context) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM watchlist_persons WHERE removed_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count persons: %w", err)
	}
	return n, nil
}

// LoadPersons adds every listed person to x, with the store's row id as
// the person's ID; progress, when not nil, is called with the number
// loaded every 100,000 persons.
func (db *DB) LoadPersons(ctx context.Context, x *watchlist.PersonIndex, progress func(loaded int)) error {
	// Two ordered scans walked side by side: persons by id, names by
	// (person, seq).
	persons, err := db.QueryContext(ctx, `SELECT id, list, COALESCE(ref, ''), birth_date, nationality, reason
		FROM watchlist_persons WHERE removed_at IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("store: load persons: %w", err)
	}
	defer persons.Close()
	names, err := db.QueryContext(ctx, `SELECT n.person, n.primary_name, n.secondary_name, n.original_primary, n.original_secondary
		FROM watchlist_person_names n JOIN watchlist_persons p ON p.id = n.person
		WHERE p.removed_at IS NULL ORDER BY n.person, n.seq`)
	if err != nil {
		return fmt.Errorf("store: load persons: %w", err)
	}
	defer names.Close()
	var pending struct {
		ok     bool
		person int64
		name   watchlist.PersonName
	}
	nextName := func() error {
		pending.ok = names.Next()
		if !pending.ok {
			return names.Err()
		}
		n := &pending.name
		return names.Scan(&pending.person, &n.Primary, &n.Secondary, &n.OriginalPrimary, &n.OriginalSecondary)
	}
	if err := nextName(); err != nil {
		return fmt.Errorf("store: load persons: %w", err)
	}
	loaded := 0
	for persons.Next() {
		var p watchlist.Person
		var birth string
		if err := persons.Scan(&p.ID, &p.List, &p.Ref, &birth, &p.Nationality, &p.Reason); err != nil {
			return fmt.Errorf("store: load persons: %w", err)
		}
		if p.BirthDate, err = watchlist.ParseDate(birth); err != nil {
			return fmt.Errorf("store: load persons: person %d: %w", p.ID, err)
		}
		for pending.ok && pending.person <= p.ID {
			if pending.person == p.ID {
				p.Names = append(p.Names, pending.name)
			}
			if err := nextName(); err != nil {
				return fmt.Errorf("store: load persons: %w", err)
			}
		}
		if err := x.Add(p); err != nil {
			return fmt.Errorf("store: load persons: person %d: %w", p.ID, err)
		}
		loaded++
		if progress != nil && loaded%100000 == 0 {
			progress(loaded)
		}
	}
	if err := persons.Err(); err != nil {
		return fmt.Errorf("store: load persons: %w", err)
	}
	if progress != nil {
		progress(loaded)
	}
	return nil
}

// ErrPersonNotListed is returned when removing a person who is not on the
// watchlist.
var ErrPersonNotListed = errors.New("store: person not listed")

// RemovePerson takes a person off the watchlist; the row stays, marked
// removed.
func (db *DB) RemovePerson(ctx context.Context, id int64) error {
	r, err := db.ExecContext(ctx, `UPDATE watchlist_persons SET removed_at = ? WHERE id = ? AND removed_at IS NULL`,
		time.Now().UTC().Format(time.RFC3339Nano), id)
	if err != nil {
		return fmt.Errorf("store: remove person %d: %w", id, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %d", ErrPersonNotListed, id)
	}
	return nil
}
