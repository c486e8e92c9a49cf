package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Blob kinds. Images and probe templates of verifications expire with the
// retention setting; reports, traveller details and enrolled templates do
// not.
const (
	KindDocumentImage  = "document-image"
	KindFingerImage    = "finger-image"
	KindFingerTemplate = "finger-template"
	KindEvidence       = "evidence"
	KindReport         = "report"
	KindTraveller      = "traveller"
	KindComment        = "comment"
)

// ErrBlobNotFound is returned for an unknown blob id.
var ErrBlobNotFound = errors.New("store: blob not found")

// ErrBlobPurged is returned for a blob whose data was purged after its
// retention period.
var ErrBlobPurged = errors.New("store: blob purged after its retention period")

// BlobInput is data to store encrypted.
type BlobInput struct {
	Kind        string
	ContentType string
	Data        []byte
	// Expires, when set, is when the retention job purges the data.
	Expires time.Time
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	ID          string
	Kind        string
	ContentType string
	Size        int64
	KeyID       string // empty once purged
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: kept
	PurgedAt    time.Time // zero: not purged
}

// sealedBlob is a blob encrypted and ready to insert.
type sealedBlob struct {
	BlobInput
	id      string
	keyID   string
	data    []byte
	created time.Time
}

func blobAAD(id, kind string) []byte { return []byte("blob:" + id + "\x00" + kind) }

// seal encrypts in before any transaction starts: the database's write
// lock is never held while AES runs over megabytes.
func (v *Vault) seal(in BlobInput) (sealedBlob, error) {
	if in.Kind == "" || in.ContentType == "" {
		return sealedBlob{}, errors.New("store: blob without a kind or content type")
	}
	id := newID("b_")
	keys := v.Keys()
	ct, err := keys.Seal(in.Data, blobAAD(id, in.Kind))
	if err != nil {
		return sealedBlob{}, fmt.Errorf("store: seal blob: %w", err)
	}
	return sealedBlob{BlobInput: in, id: id, keyID: keys.ActiveID(), data: ct, created: time.Now()}, nil
}

func insertBlob(ctx context.Context, tx *sql.Tx, b sealedBlob) error {
	var expires any
	if !b.Expires.IsZero() {
		expires = fmtTime(b.Expires)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO blobs(id, kind, content_type, size, key_id, data, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, b.id, b.Kind, b.ContentType, len(b.Data), b.keyID, b.data, fmtTime(b.created), expires)
	if err != nil {
		return fmt.Errorf("store: insert blob: %w", err)
	}
	return nil
}

// PutBlob stores data encrypted and returns its id.
func (v *Vault) PutBlob(ctx context.Context, in BlobInput) (string, error) {
	b, err := v.seal(in)
	if err != nil {
		return "", err
	}
	return b.id, v.db.writeTx(ctx, func(tx *sql.Tx) error { return insertBlob(ctx, tx, b) })
}

// PutBlobTx stores data encrypted inside the caller's write transaction.
// The encryption runs under the caller's lock: for large data prefer
// PutBlob, or keep the transaction short.
func (v *Vault) PutBlobTx(ctx context.Context, tx *sql.Tx, in BlobInput) (string, error) {
	b, err := v.seal(in)
	if err != nil {
		return "", err
	}
	return b.id, insertBlob(ctx, tx, b)
}

// BlobInfo returns what is known of a blob without decrypting it.
func (v *Vault) BlobInfo(ctx context.Context, id string) (BlobInfo, error) {
	info, _, err := v.readBlob(ctx, id, false)
	return info, err
}

// GetBlob returns a blob's description and its decrypted data.
func (v *Vault) GetBlob(ctx context.Context, id string) (BlobInfo, []byte, error) {
	return v.readBlob(ctx, id, true)
}

func (v *Vault) readBlob(ctx context.Context, id string, withData bool) (BlobInfo, []byte, error) {
	var info BlobInfo
	var keyID, expires, purged sql.NullString
	var created string
	var ct []byte
	col := "NULL"
	if withData {
		col = "data"
	}
	err := v.db.QueryRowContext(ctx, `SELECT id, kind, content_type, size, key_id, created_at, expires_at, purged_at, `+col+`
		FROM blobs WHERE id = ?`, id).Scan(&info.ID, &info.Kind, &info.ContentType, &info.Size, &keyID, &created, &expires, &purged, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return info, nil, fmt.Errorf("%w: %s", ErrBlobNotFound, id)
	}
	if err != nil {
		return info, nil, fmt.Errorf("store: read blob %s: %w", id, err)
	}
	info.KeyID = keyID.String
	info.CreatedAt = parseTime(created)
	if expires.Valid {
		info.ExpiresAt = parseTime(expires.String)
	}
	if purged.Valid {
		info.PurgedAt = parseTime(purged.String)
		return info, nil, fmt.Errorf("%w: %s on %s", ErrBlobPurged, id, info.PurgedAt.Format(time.DateOnly))
	}
	if !withData {
		return info, nil, nil
	}
	pt, err := v.Keys().Open(ct, blobAAD(info.ID, info.Kind))
	if err != nil {
		return info, nil, fmt.Errorf("store: blob %s: %w", id, err)
	}
	return info, pt, nil
}

// PurgeExpired deletes the data of up to limit blobs whose retention ended
// before now, keeping their rows (marked purged), and records the purge in
// the audit log. It returns how many it purged.
func (v *Vault) PurgeExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	var n int
	err := v.db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE blobs SET data = NULL, key_id = NULL, purged_at = ?
			WHERE id IN (SELECT id FROM blobs WHERE data IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`,
			fmtTime(now), fmtTime(now), limit)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n = int(k)
		if n == 0 {
			return nil
		}
		_, err = appendAudit(ctx, tx, AuditEntry{Actor: SystemActor, Action: "blob.purge", ObjectType: "blob",
			Details: map[string]string{"count": fmt.Sprint(n), "reason": "retention period ended"}}, v.sealHead)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: purge expired blobs: %w", err)
	}
	return n, nil
}

// KeyUse is how much stored data one key seals.
type KeyUse struct {
	KeyID string
	Blobs int64
	Bytes int64
}

// KeyUsage counts the live blobs per sealing key.
func (v *Vault) KeyUsage(ctx context.Context) ([]KeyUse, error) {
	rows, err := v.db.QueryContext(ctx, `SELECT key_id, COUNT(*), COALESCE(SUM(size), 0) FROM blobs
		WHERE data IS NOT NULL GROUP BY key_id ORDER BY key_id`)
	if err != nil {
		return nil, fmt.Errorf("store: key usage: %w", err)
	}
	defer rows.Close()
	var out []KeyUse
	for rows.Next() {
		var u KeyUse
		if err := rows.Scan(&u.KeyID, &u.Blobs, &u.Bytes); err != nil {
			return nil, fmt.Errorf("store: key usage: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ReencryptBatch re-seals, with the active key, blobs sealed with any other
// key: up to maxBlobs blobs or about maxBytes of data per call. The blobs are
// read and re-encrypted outside any write transaction; the write that
// follows is short and only replaces a blob still sealed as it was read (a
// blob purged meanwhile is left alone). Each batch commits on its own, so a
// crash loses at most the batch in flight and the next call resumes where
// the data says: the work left is every blob not under the active key.
// It returns how many blobs it re-sealed and how many remain.
func (v *Vault) ReencryptBatch(ctx context.Context, maxBlobs int, maxBytes int64) (done int, remaining int64, err error) {
	keys := v.Keys()
	active := keys.ActiveID()
	rows, err := v.db.QueryContext(ctx, `SELECT id, kind, key_id, data FROM blobs
		WHERE data IS NOT NULL AND key_id <> ? LIMIT ?`, active, maxBlobs)
	if err != nil {
		return 0, 0, fmt.Errorf("store: re-encrypt: %w", err)
	}
	type resealed struct {
		id, oldKey string
		data       []byte
	}
	var batch []resealed
	var bytes int64
	for rows.Next() {
		var id, kind, oldKey string
		var ct []byte
		if err := rows.Scan(&id, &kind, &oldKey, &ct); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("store: re-encrypt: %w", err)
		}
		pt, err := keys.Open(ct, blobAAD(id, kind))
		if err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("store: re-encrypt blob %s: %w", id, err)
		}
		nct, err := keys.Seal(pt, blobAAD(id, kind))
		if err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("store: re-encrypt blob %s: %w", id, err)
		}
		batch = append(batch, resealed{id, oldKey, nct})
		if bytes += int64(len(nct)); bytes >= maxBytes {
			break
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("store: re-encrypt: %w", err)
	}
	if len(batch) > 0 {
		err = v.db.writeTx(ctx, func(tx *sql.Tx) error {
			for _, b := range batch {
				res, err := tx.ExecContext(ctx, `UPDATE blobs SET data = ?, key_id = ? WHERE id = ? AND key_id = ?`, b.data, active, b.id, b.oldKey)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k == 1 {
					done++
				}
			}
			return nil
		})
		if err != nil {
			return 0, 0, fmt.Errorf("store: re-encrypt: %w", err)
		}
	}
	err = v.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM blobs WHERE data IS NOT NULL AND key_id <> ?`, active).Scan(&remaining)
	if err != nil {
		return done, 0, fmt.Errorf("store: re-encrypt: %w", err)
	}
	return done, remaining, nil
}

// ReencryptAll runs ReencryptBatch until no blob is left under an old key
// or ctx ends; progress, when not nil, is told after each batch. It records
// the finished re-encryption in the audit log.
func (v *Vault) ReencryptAll(ctx context.Context, progress func(done int64, remaining int64)) (int64, error) {
	var total int64
	for {
		n, remaining, err := v.ReencryptBatch(ctx, 64, 32<<20)
		if err != nil {
			return total, err
		}
		total += int64(n)
		if progress != nil {
			progress(total, remaining)
		}
		if remaining == 0 {
			if total > 0 {
				_, err = v.Audit(ctx, AuditEntry{Actor: SystemActor, Action: "key.reencrypt", ObjectType: "key",
					ObjectID: v.Keys().ActiveID(), Details: map[string]string{"blobs": fmt.Sprint(total)}})
			}
			return total, err
		}
		if n == 0 {
			// Every blob left changed under us (purged or re-sealed by
			// another process): look again after a pause.
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
