package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"checkpost/engine/watchlist"
)

// MaxReportedLineErrors is how many bad lines an ImportError lists; the
// rest are only counted.
const MaxReportedLineErrors = 20

// ImportError is returned when a watchlist file has bad lines: nothing of
// the file was imported (the import runs in one transaction), and the
// error lists the first bad lines with their numbers.
type ImportError struct {
	Source string
	// Lines are the first MaxReportedLineErrors bad lines.
	Lines []*watchlist.LineError
	// Bad is the number of bad lines in all.
	Bad int
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s: %d bad line(s), nothing imported", e.Source, e.Bad)
	for _, l := range e.Lines {
		fmt.Fprintf(&b, "\n  %s: %v", e.Source, l)
	}
	if e.Bad > len(e.Lines) {
		fmt.Fprintf(&b, "\n  ... and %d more", e.Bad-len(e.Lines))
	}
	return b.String()
}

// ImportResult counts what an import did.
type ImportResult struct {
	ImportID int64
	// Records read, entries added, entries that replaced an earlier one.
	Records, Added, Updated int
}

// collect records a bad line; it reports whether err was one
// (other errors end the import).
func (e *ImportError) collect(err error) bool {
	le, ok := err.(*watchlist.LineError)
	if !ok {
		return false
	}
	e.Bad++
	if len(e.Lines) < MaxReportedLineErrors {
		e.Lines = append(e.Lines, le)
	}
	return true
}

// importState is what the add function of one import works with.
type importState struct {
	tx  *sql.Tx
	now string // the time of the import, RFC 3339
	res ImportResult
	bad *ImportError
}

// badLine records a bad line found while adding a record.
func (st *importState) badLine(line int, err error) {
	st.bad.collect(&watchlist.LineError{Line: line, Err: err})
}

// runImport imports the records of one watchlist file in one transaction:
// it records the import, reads the records with next, hands each good one
// to the add function that prepare returns (add records bad lines with
// st.badLine and returns an error only when the import cannot go on), and
// commits only when no line was bad. lineOf gives the line of the record
// last read.
func runImport[T any](ctx context.Context, db *DB, list, source string, next func() (T, error), lineOf func() int,
	prepare func(st *importState) (add func(rec T, line int) error, done func(), err error)) (ImportResult, error) {
	what := "store: import " + list
	st := &importState{now: time.Now().UTC().Format(time.RFC3339Nano), bad: &ImportError{Source: source}}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return st.res, fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	st.tx = tx
	r, err := tx.ExecContext(ctx, `INSERT INTO watchlist_imports(list, source, imported_at) VALUES (?, ?, ?)`, list, source, st.now)
	if err != nil {
		return st.res, fmt.Errorf("%s: %w", what, err)
	}
	if st.res.ImportID, err = r.LastInsertId(); err != nil {
		return st.res, fmt.Errorf("%s: %w", what, err)
	}
	add, done, err := prepare(st)
	if err != nil {
		return st.res, fmt.Errorf("%s: %w", what, err)
	}
	defer done()
	for {
		rec, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if st.bad.collect(err) {
				continue
			}
			return st.res, fmt.Errorf("%s from %s: %w", what, source, err)
		}
		st.res.Records++
		if st.res.Records%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return st.res, err
			}
		}
		line := st.res.Records
		if lineOf != nil {
			line = lineOf()
		}
		if err := add(rec, line); err != nil {
			return st.res, fmt.Errorf("%s: %s line %d: %w", what, source, line, err)
		}
	}
	if st.bad.Bad > 0 {
		return st.res, st.bad
	}
	if _, err := tx.ExecContext(ctx, `UPDATE watchlist_imports SET lines = ?, added = ?, updated = ? WHERE id = ?`,
		st.res.Records, st.res.Added, st.res.Updated, st.res.ImportID); err != nil {
		return st.res, fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return st.res, fmt.Errorf("%s: commit: %w", what, err)
	}
	return st.res, nil
}

// lineFunc returns src's Line method when it has one.
func lineFunc(src any) func() int {
	if l, ok := src.(interface{ Line() int }); ok {
		return l.Line
	}
	return nil
}
