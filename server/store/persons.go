package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	return runImport(ctx, db, "persons", source, src.Next, lineFunc(src), func(st *importState) (func(watchlist.Person, int) error, func(), error) {
		retire, err := st.tx.PrepareContext(ctx, `UPDATE watchlist_persons SET removed_at = ?
			WHERE list = ? AND ref = ? AND removed_at IS NULL AND import_id IS NOT ?`)
		if err != nil {
			return nil, nil, err
		}
		insert, err := st.tx.PrepareContext(ctx, `INSERT INTO watchlist_persons(list, ref, birth_date, nationality, reason, import_id, line, listed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			retire.Close()
			return nil, nil, err
		}
		insertName, err := st.tx.PrepareContext(ctx, `INSERT INTO watchlist_person_names(person, seq, primary_name, secondary_name, original_primary, original_secondary)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			retire.Close()
			insert.Close()
			return nil, nil, err
		}
		done := func() { retire.Close(); insert.Close(); insertName.Close() }
		add := func(p watchlist.Person, line int) error {
			p, err := p.Normalize()
			if err != nil {
				st.badLine(line, err)
				return nil
			}
			var ref any
			if p.Ref != "" {
				ref = p.Ref
				r, err := retire.ExecContext(ctx, st.now, p.List, p.Ref, st.res.ImportID)
				if err != nil {
					return err
				}
				if n, _ := r.RowsAffected(); n > 0 {
					st.res.Updated++
				} else {
					var first int
					err := st.tx.QueryRowContext(ctx, `SELECT line FROM watchlist_persons WHERE list = ? AND ref = ? AND removed_at IS NULL`, p.List, p.Ref).Scan(&first)
					if err == nil {
						st.badLine(line, fmt.Errorf("list %q ref %q is already on line %d of this file", p.List, p.Ref, first))
						return nil
					}
					if !errors.Is(err, sql.ErrNoRows) {
						return err
					}
					st.res.Added++
				}
			} else {
				st.res.Added++
			}
			r, err := insert.ExecContext(ctx, p.List, ref, p.BirthDate.String(), p.Nationality, p.Reason, st.res.ImportID, line, st.now)
			if err != nil {
				return err
			}
			id, err := r.LastInsertId()
			if err != nil {
				return err
			}
			for seq, n := range p.Names {
				if _, err := insertName.ExecContext(ctx, id, seq, n.Primary, n.Secondary, n.OriginalPrimary, n.OriginalSecondary); err != nil {
					return err
				}
			}
			return nil
		}
		return add, done, nil
	})
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
