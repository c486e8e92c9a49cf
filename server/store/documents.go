package store

import (
	"context"
	"errors"
	"fmt"

	"checkpost/engine/watchlist"
)

// DocumentSource yields lost/stolen documents to import, as
// *watchlist.DocumentCSV does: a bad record is a *watchlist.LineError, the
// end io.EOF.
type DocumentSource interface {
	Next() (watchlist.DocumentEntry, error)
}

// ImportDocuments adds the documents of src to the lost/stolen list, in
// one transaction: when a line is bad (or the same document appears twice
// in the file) nothing is imported and an *ImportError names the lines. A
// document already listed by an earlier import is updated with the new
// reason, authority and date; the earlier values go to the history table.
// source names the file in the import record.
func (db *DB) ImportDocuments(ctx context.Context, source string, src DocumentSource) (ImportResult, error) {
	return runImport(ctx, db, "documents", source, src.Next, lineFunc(src), func(st *importState) (func(watchlist.DocumentEntry, int) error, func(), error) {
		insert, err := st.tx.PrepareContext(ctx, `INSERT INTO lost_documents(issuer, number, number_key, reason, authority, reported, import_id, line, listed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(issuer, number) DO NOTHING`)
		if err != nil {
			return nil, nil, err
		}
		update, err := st.tx.PrepareContext(ctx, `UPDATE lost_documents SET number_key = ?, reason = ?, authority = ?, reported = ?, import_id = ?, line = ?, listed_at = ?
			WHERE issuer = ? AND number = ? AND import_id IS NOT ?`)
		if err != nil {
			insert.Close()
			return nil, nil, err
		}
		done := func() { insert.Close(); update.Close() }
		add := func(e watchlist.DocumentEntry, line int) error {
			e, err := e.Normalize()
			if err != nil {
				st.badLine(line, err)
				return nil
			}
			key, _ := watchlist.NormalizeDocumentNumber(e.Number)
			reported := e.Reported.String()
			r, err := insert.ExecContext(ctx, e.Issuer, e.Number, key, e.Reason, e.Authority, reported, st.res.ImportID, line, st.now)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 1 {
				st.res.Added++
				return nil
			}
			r, err = update.ExecContext(ctx, key, e.Reason, e.Authority, reported, st.res.ImportID, line, st.now, e.Issuer, e.Number, st.res.ImportID)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 1 {
				st.res.Updated++
				return nil
			}
			// Neither new nor from an earlier import: listed earlier in this file.
			var first int
			if err := st.tx.QueryRowContext(ctx, `SELECT line FROM lost_documents WHERE issuer = ? AND number = ?`, e.Issuer, e.Number).Scan(&first); err != nil {
				return err
			}
			st.badLine(line, fmt.Errorf("document %s %s is already on line %d of this file", e.Issuer, e.Number, first))
			return nil
		}
		return add, done, nil
	})
}

// CountDocuments returns the number of listed documents.
func (db *DB) CountDocuments(ctx context.Context) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM lost_documents`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count documents: %w", err)
	}
	return n, nil
}

// LoadDocuments adds every listed document to x; progress, when not nil,
// is called with the number loaded every 100,000 documents.
func (db *DB) LoadDocuments(ctx context.Context, x *watchlist.DocumentIndex, progress func(loaded int)) error {
	rows, err := db.QueryContext(ctx, `SELECT issuer, number, reason, authority, reported FROM lost_documents`)
	if err != nil {
		return fmt.Errorf("store: load documents: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var e watchlist.DocumentEntry
		var reported string
		if err := rows.Scan(&e.Issuer, &e.Number, &e.Reason, &e.Authority, &reported); err != nil {
			return fmt.Errorf("store: load documents: %w", err)
		}
		if e.Reported, err = watchlist.ParseDate(reported); err != nil {
			return fmt.Errorf("store: load documents: %s %s: %w", e.Issuer, e.Number, err)
		}
		if err := x.Add(e); err != nil {
			return fmt.Errorf("store: load documents: %w", err)
		}
		n++
		if progress != nil && n%100000 == 0 {
			progress(n)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: load documents: %w", err)
	}
	x.Flush()
	if progress != nil {
		progress(n)
	}
	return nil
}

// ErrDocumentNotListed is returned when removing a document that is not
// on the list.
var ErrDocumentNotListed = errors.New("store: document not listed")

// RemoveDocument takes a document off the list (found again, or reported in
// error); the row goes to the history table. The number must be the listed
// one, not a confusable reading of it.
func (db *DB) RemoveDocument(ctx context.Context, issuer, number string) error {
	iss, err := watchlist.NormalizeIssuer(issuer)
	if err != nil {
		return fmt.Errorf("store: remove document: %w", err)
	}
	num, err := watchlist.CleanDocumentNumber(number)
	if err != nil {
		return fmt.Errorf("store: remove document: %w", err)
	}
	r, err := db.ExecContext(ctx, `DELETE FROM lost_documents WHERE issuer = ? AND number = ?`, iss, num)
	if err != nil {
		return fmt.Errorf("store: remove document %s %s: %w", iss, num, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s %s", ErrDocumentNotListed, iss, num)
	}
	return nil
}
