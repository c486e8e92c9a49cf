package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/match"
	"checkpost/biometric/native"
	"checkpost/biometric/watchlist"
)

// Stored enrolled fingers: each is one blob of kind KindFingerTemplate
// holding
//
//	"CPEF", version (1), format id length (1), match.FormatID(),
//	native template length (4, big-endian), the native template,
//	prepared form length (4), match.Template.MarshalBinary()
//
// The native template is the truth; the prepared form is a cache that is
// used only while its format id is the running matcher's.
const (
	enrolledMagic       = "CPEF"
	enrolledVersion     = 1
	enrolledContentType = "application/x-checkpost-enrolled-finger"
)

// EnrolledFinger is one finger view to enrol.
type EnrolledFinger struct {
	Position biometric.Position
	Template biometric.Template
	// Prepared is Template prepared by match.Prepare; nil to prepare it
	// here.
	Prepared *match.Template
}

// FingerprintEnrollment is the fingers of one subject to enrol.
type FingerprintEnrollment struct {
	Subject string
	Fingers []EnrolledFinger
}

func encodeEnrolled(f *EnrolledFinger) ([]byte, error) {
	if f.Prepared == nil {
		p, err := match.Prepare(&f.Template)
		if err != nil {
			return nil, err
		}
		f.Prepared = p
	}
	src, err := native.Encode(&f.Template)
	if err != nil {
		return nil, err
	}
	prep, err := f.Prepared.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return packEnrolled(src, prep), nil
}

// packEnrolled lays out a stored enrolled finger: the source template and
// its prepared form in the current matcher format.
func packEnrolled(src, prep []byte) []byte {
	id := match.FormatID()
	out := make([]byte, 0, 6+len(id)+8+len(src)+len(prep))
	out = append(out, enrolledMagic...)
	out = append(out, enrolledVersion, byte(len(id)))
	out = append(out, id...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(src)))
	out = append(out, src...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(prep)))
	out = append(out, prep...)
	return out
}

// errEnrolled marks a stored enrolled finger that cannot be read.
var errEnrolled = errors.New("store: bad stored enrolled finger")

// decodeEnrolled reads a stored enrolled finger into dst, preparing the
// source template again when the prepared form is of another format
// (stale is then true).
func decodeEnrolled(b []byte, dst *match.Template) (stale bool, err error) {
	if len(b) < 6 || string(b[:4]) != enrolledMagic || b[4] != enrolledVersion {
		return false, fmt.Errorf("%w: unknown header", errEnrolled)
	}
	n := int(b[5])
	b = b[6:]
	if len(b) < n+4 {
		return false, fmt.Errorf("%w: truncated", errEnrolled)
	}
	id := string(b[:n])
	b = b[n:]
	ls := int(binary.BigEndian.Uint32(b))
	b = b[4:]
	if ls > len(b) {
		return false, fmt.Errorf("%w: truncated source template", errEnrolled)
	}
	src := b[:ls]
	b = b[ls:]
	if len(b) < 4 {
		return false, fmt.Errorf("%w: truncated", errEnrolled)
	}
	lp := int(binary.BigEndian.Uint32(b))
	b = b[4:]
	if lp != len(b) {
		return false, fmt.Errorf("%w: prepared form of %d bytes, %d stored", errEnrolled, lp, len(b))
	}
	if id == match.FormatID() {
		if err := dst.UnmarshalBinary(b); err == nil {
			return false, nil
		}
	}
	t, err := native.Decode(src)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errEnrolled, err)
	}
	if err := dst.Prepare(&t); err != nil {
		return false, fmt.Errorf("%w: %w", errEnrolled, err)
	}
	return true, nil
}

// reencodeEnrolled rewrites a stored enrolled finger with prepared as
// its prepared form, in the current matcher format; the source template
// is kept byte for byte.
func reencodeEnrolled(b []byte, prepared *match.Template) ([]byte, error) {
	if len(b) < 6 || string(b[:4]) != enrolledMagic || b[4] != enrolledVersion {
		return nil, fmt.Errorf("%w: unknown header", errEnrolled)
	}
	n := int(b[5])
	b = b[6:]
	if len(b) < n+4 {
		return nil, fmt.Errorf("%w: truncated", errEnrolled)
	}
	b = b[n:]
	ls := int(binary.BigEndian.Uint32(b))
	if ls > len(b)-4 {
		return nil, fmt.Errorf("%w: truncated source template", errEnrolled)
	}
	src := b[4 : 4+ls]
	prep, err := prepared.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return packEnrolled(src, prep), nil
}

// EnrollFingerprints stores the fingers of subjects, in one transaction
// with one audit entry: a subject already enrolled gets the fingers added,
// a removed one is enrolled again with these fingers only. The templates
// are sealed before the transaction starts. It returns the stored
// template ids in the order given.
func (v *Vault) EnrollFingerprints(ctx context.Context, actor Actor, batch []FingerprintEnrollment) ([]int64, error) {
	type sealedFinger struct {
		subject  string
		position biometric.Position
		minutiae int
		blob     sealedBlob
	}
	var sealed []sealedFinger
	for _, e := range batch {
		if err := watchlist.CheckSubjectID(e.Subject); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if len(e.Fingers) == 0 {
			return nil, fmt.Errorf("store: subject %q: no finger to enrol", e.Subject)
		}
		for i := range e.Fingers {
			f := &e.Fingers[i]
			if f.Position > biometric.LeftLittle {
				return nil, fmt.Errorf("store: subject %q finger %d: position %d out of range", e.Subject, i+1, f.Position)
			}
			data, err := encodeEnrolled(f)
			if err != nil {
				return nil, fmt.Errorf("store: subject %q finger %d: %w", e.Subject, i+1, err)
			}
			b, err := v.seal(BlobInput{Kind: KindFingerTemplate, ContentType: enrolledContentType, Data: data})
			if err != nil {
				return nil, err
			}
			sealed = append(sealed, sealedFinger{e.Subject, f.Position, len(f.Template.Minutiae), b})
		}
	}
	ids := make([]int64, 0, len(sealed))
	now := fmtTime(time.Now())
	err := v.db.writeTx(ctx, func(tx *sql.Tx) error {
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO fingerprint_subjects(id, enrolled_at) VALUES (?, ?)
			ON CONFLICT(id) DO UPDATE SET removed_at = NULL, enrolled_at = CASE WHEN removed_at IS NULL THEN enrolled_at ELSE excluded.enrolled_at END`)
		if err != nil {
			return err
		}
		defer upsert.Close()
		insert, err := tx.PrepareContext(ctx, `INSERT INTO fingerprint_templates(subject, position, minutiae, blob_id, enrolled_at) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insert.Close()
		blobIns, err := tx.PrepareContext(ctx, `INSERT INTO blobs(id, kind, content_type, size, key_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer blobIns.Close()
		subjects := map[string]bool{}
		for _, s := range sealed {
			if !subjects[s.subject] {
				subjects[s.subject] = true
				if _, err := upsert.ExecContext(ctx, s.subject, now); err != nil {
					return err
				}
			}
			b := s.blob
			if _, err := blobIns.ExecContext(ctx, b.id, b.Kind, b.ContentType, len(b.Data), b.keyID, b.data, fmtTime(b.created)); err != nil {
				return fmt.Errorf("insert blob: %w", err)
			}
			r, err := insert.ExecContext(ctx, s.subject, int(s.position), s.minutiae, b.id, now)
			if err != nil {
				return err
			}
			id, _ := r.LastInsertId()
			ids = append(ids, id)
		}
		objectID := ""
		if len(batch) == 1 {
			objectID = batch[0].Subject
		}
		_, err = appendAudit(ctx, tx, AuditEntry{Actor: actor, Action: "fingerprint.enroll", ObjectType: "fingerprint_subject", ObjectID: objectID,
			Details: map[string]string{"subjects": fmt.Sprint(len(subjects)), "templates": fmt.Sprint(len(sealed))}}, v.sealHead)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: enrol fingerprints: %w", err)
	}
	return ids, nil
}

// RemoveFingerprintSubject marks a subject and its templates removed (the
// rows and sealed templates are kept) and records it in the audit log.
func (v *Vault) RemoveFingerprintSubject(ctx context.Context, actor Actor, subject string) error {
	now := fmtTime(time.Now())
	err := v.db.writeTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE fingerprint_subjects SET removed_at = ? WHERE id = ? AND removed_at IS NULL`, now, subject)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: %q", watchlist.ErrNoSubject, subject)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fingerprint_templates SET removed_at = ? WHERE subject = ? AND removed_at IS NULL`, now, subject); err != nil {
			return err
		}
		_, err = appendAudit(ctx, tx, AuditEntry{Actor: actor, Action: "fingerprint.remove", ObjectType: "fingerprint_subject", ObjectID: subject}, v.sealHead)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: remove fingerprint subject: %w", err)
	}
	return nil
}

// CountFingerprints returns the live enrolled subjects and templates.
func (db *DB) CountFingerprints(ctx context.Context) (subjects, templates int, err error) {
	err = db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM fingerprint_subjects WHERE removed_at IS NULL),
		(SELECT COUNT(*) FROM fingerprint_templates WHERE removed_at IS NULL)`).Scan(&subjects, &templates)
	if err != nil {
		err = fmt.Errorf("store: count fingerprints: %w", err)
	}
	return
}

// FingerprintLoad reports a load of the gallery.
type FingerprintLoad struct {
	Subjects, Templates int
	// Reprepared counts templates whose stored prepared form was of
	// another matcher format and were prepared again from their source.
	Reprepared int
	// Rewritten counts the re-prepared templates stored back in the
	// current format (the next load reads them as they are);
	// WriteBackErr says why the others were not.
	Rewritten    int
	WriteBackErr error
	Elapsed      time.Duration
}

// loadChunk is how many templates are decoded and enrolled at once.
const loadChunk = 8192

// LoadFingerprints adds every live enrolled template to g. The rows are
// read in one pass; decryption and decoding run on every core, and the
// templates go into the gallery in batches, so the gallery needs no second
// copy of them. progress, when not nil, is told the templates loaded so far.
func (v *Vault) LoadFingerprints(ctx context.Context, g *watchlist.Gallery, progress func(loaded int)) (FingerprintLoad, error) {
	start := time.Now()
	var res FingerprintLoad
	// A connection of its own, reading the file through a memory map: a
	// million rows joined with their blobs otherwise cost a read system
	// call per page.
	conn, err := v.db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("store: load fingerprints: %w", err)
	}
	defer func() {
		conn.ExecContext(context.Background(), `PRAGMA mmap_size = 0`)
		conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, `PRAGMA mmap_size = 17179869184`); err != nil {
		return res, fmt.Errorf("store: load fingerprints: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT t.subject, t.position, b.id, b.kind, b.data FROM fingerprint_templates t
		JOIN blobs b ON b.id = t.blob_id
		WHERE t.removed_at IS NULL AND b.data IS NOT NULL ORDER BY t.id`)
	if err != nil {
		return res, fmt.Errorf("store: load fingerprints: %w", err)
	}
	defer rows.Close()
	type raw struct {
		subject  string
		position biometric.Position
		id, kind string
		data     []byte
	}
	keys := v.Keys()
	workers := runtime.GOMAXPROCS(0)
	type resealedBlob struct {
		id   string
		data []byte
	}
	var (
		resealedMu sync.Mutex
		resealed   []resealedBlob
	)
	// Decode a chunk in parallel into its own templates, then enrol it.
	decode := func(chunk []raw) ([]watchlist.Enrollment, int, error) {
		tmpl := make([]match.Template, len(chunk))
		errs := make([]error, len(chunk))
		stale := make([]bool, len(chunk))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < len(chunk); i += workers {
					r := &chunk[i]
					pt, err := keys.Open(r.data, blobAAD(r.id, r.kind))
					if err != nil {
						errs[i] = fmt.Errorf("store: fingerprint of subject %q (blob %s): %w", r.subject, r.id, err)
						continue
					}
					stale[i], err = decodeEnrolled(pt, &tmpl[i])
					if err != nil {
						errs[i] = fmt.Errorf("store: fingerprint of subject %q (blob %s): %w", r.subject, r.id, err)
						continue
					}
					if stale[i] {
						// Seal the new prepared form for the write-back, so
						// that the next start reads it instead of preparing
						// every template again.
						if npt, err := reencodeEnrolled(pt, &tmpl[i]); err == nil {
							if ct, err := keys.Seal(npt, blobAAD(r.id, r.kind)); err == nil {
								resealedMu.Lock()
								resealed = append(resealed, resealedBlob{r.id, ct})
								resealedMu.Unlock()
							}
						}
					}
				}
			}(w)
		}
		wg.Wait()
		var out []watchlist.Enrollment
		nStale := 0
		for i := range chunk {
			if errs[i] != nil {
				return nil, 0, errs[i]
			}
			if stale[i] {
				nStale++
			}
			f := watchlist.Finger{Position: chunk[i].position, Template: &tmpl[i]}
			if k := len(out) - 1; k >= 0 && out[k].Subject == chunk[i].subject {
				out[k].Fingers = append(out[k].Fingers, f)
			} else {
				out = append(out, watchlist.Enrollment{Subject: chunk[i].subject, Fingers: []watchlist.Finger{f}})
			}
		}
		return out, nStale, nil
	}
	// Reading (SQLite, one goroutine) overlaps with decoding the previous
	// chunk.
	type result struct {
		n   int
		err error
	}
	pending := make(chan []raw, 1)
	done := make(chan result, 1)
	go func() {
		total := 0
		for chunk := range pending {
			batch, stale, err := decode(chunk)
			if err == nil {
				err = g.EnrollBatch(batch)
			}
			if err != nil {
				for range pending {
				}
				done <- result{total, err}
				return
			}
			res.Reprepared += stale
			total += len(chunk)
			if progress != nil {
				progress(total)
			}
		}
		done <- result{total, nil}
	}()
	chunk := make([]raw, 0, loadChunk)
	var readErr error
	for rows.Next() {
		var r raw
		var pos int
		if err := rows.Scan(&r.subject, &pos, &r.id, &r.kind, &r.data); err != nil {
			readErr = fmt.Errorf("store: load fingerprints: %w", err)
			break
		}
		r.position = biometric.Position(pos)
		chunk = append(chunk, r)
		if len(chunk) == loadChunk {
			pending <- chunk
			chunk = make([]raw, 0, loadChunk)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if readErr == nil {
		readErr = rows.Err()
	}
	if len(chunk) > 0 && readErr == nil {
		pending <- chunk
	}
	close(pending)
	r := <-done
	if readErr != nil {
		return res, readErr
	}
	if r.err != nil {
		return res, r.err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	// Write the re-prepared forms back (same source template, same blob
	// id, the active key), in batches that each commit on their own: a
	// crash leaves the rest stale, to be prepared again at the next load.
	// A failure here costs only time at the next start, so it is not an
	// error of the load.
	active := keys.ActiveID()
	for len(resealed) > 0 {
		k := min(len(resealed), 4096)
		batch := resealed[:k]
		resealed = resealed[k:]
		err := v.db.writeTx(ctx, func(tx *sql.Tx) error {
			for _, b := range batch {
				if _, err := tx.ExecContext(ctx, `UPDATE blobs SET data = ?, key_id = ? WHERE id = ? AND data IS NOT NULL`, b.data, active, b.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			res.WriteBackErr = fmt.Errorf("store: write back re-prepared fingerprints: %w", err)
			break
		}
		res.Rewritten += k
	}
	res.Templates = r.n
	res.Subjects = g.Len()
	res.Elapsed = time.Since(start)
	return res, nil
}
