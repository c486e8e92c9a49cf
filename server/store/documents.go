package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

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
	var res ImportResult
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("store: import documents: %w", err)
	}
	defer tx.Rollback()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	r, err := tx.ExecContext(ctx, `INSERT INTO watchlist_imports(list, source, imported_at) VALUES ('documents', ?, ?)`, source, now)
	if err != nil {
		return res, fmt.Errorf("store: import documents: %w", err)
	}
	if res.ImportID, err = r.LastInsertId(); err != nil {
		return res, fmt.Errorf("store: import documents: %w", err)
	}
	insert, err := tx.PrepareContext(ctx, `INSERT INTO lost_documents(issuer, number, number_key, reason, authority, reported, import_id, line, listed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(issuer, number) DO NOTHING`)
	if err != nil {
		return res, fmt.Errorf("store: import documents: %w", err)
	}
	defer insert.Close()
	update, err := tx.PrepareContext(ctx, `UPDATE lost_documents SET number_key = ?, reason = ?, authority = ?, reported = ?, import_id = ?, line = ?, listed_at = ?
		WHERE issuer = ? AND number = ? AND import_id IS NOT ?`)
	if err != nil {
		return res, fmt.Errorf("store: import documents: %w", err)
	}
	defer update.Close()
	bad := &ImportError{Source: source}
	lineOf := func() int {
		if l, ok := src.(interface{ Line() int }); ok {
			return l.Line()
		}
		return res.Records
	}
	for {
		e, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if bad.collect(err) {
				continue
			}
			return res, fmt.Errorf("store: import documents from %s: %w", source, err)
		}
		res.Records++
		if res.Records%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		if e, err = e.Normalize(); err != nil {
			bad.collect(&watchlist.LineError{Line: lineOf(), Err: err})
			continue
		}
		key, _ := watchlist.NormalizeDocumentNumber(e.Number)
		line := lineOf()
		r, err := insert.ExecContext(ctx, e.Issuer, e.Number, key, e.Reason, e.Authority, e.Reported.String(), res.ImportID, line, now)
		if err != nil {
			return res, fmt.Errorf("store: import documents: %s line %d: %w", source, line, err)
		}
		if n, _ := r.RowsAffected(); n == 1 {
			res.Added++
			continue
		}
		r, err = update.ExecContext(ctx, key, e.Reason, e.Authority, e.Reported.String(), res.ImportID, line, now, e.Issuer, e.Number, res.ImportID)
		if err != nil {
			return res, fmt.Errorf("store: import documents: %s line %d: %w", source, line, err)
		}
		if n, _ := r.RowsAffected(); n == 1 {
			res.Updated++
			continue
		}
		var first int
		if err := tx.QueryRowContext(ctx, `SELECT line FROM lost_documents WHERE issuer = ? AND number = ?`, e.Issuer, e.Number).Scan(&first); err != nil {
			return res, fmt.Errorf("store: import documents: %w", err)
		}
		bad.collect(&watchlist.LineError{Line: line, Err: fmt.Errorf("document %s %s is already on line %d of this file", e.Issuer, e.Number, first)})
	}
	if bad.Bad > 0 {
		return res, bad
	}
	if _, err := tx.ExecContext(ctx, `UPDATE watchlist_imports SET lines = ?, added = ?, updated = ? WHERE id = ?`,
		res.Records, res.Added, res.Updated, res.ImportID); err != nil {
		return res, fmt.Errorf("store: import documents: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("store: import documents: commit: %w", err)
	}
	return res, nil
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
