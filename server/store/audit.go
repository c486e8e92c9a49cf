package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Actor is who did something: an API token, a supervisor's account, a
// command run by an operator, or the server itself (background jobs).
type Actor struct {
	Kind string // "token", "account", "cli" or "system"
	ID   string // the token's or account's id; empty for cli and system
	Name string // the token's or account's name
}

// TokenActor returns the actor for an API token.
func TokenActor(t Token) Actor {
	return Actor{Kind: "token", ID: strconv.FormatInt(t.ID, 10), Name: t.Name}
}

// SystemActor is the server acting on its own (retention, re-encryption).
var SystemActor = Actor{Kind: "system", Name: "checkpost"}

// AuditEntry is one line of the audit log. Details must hold no personal
// data in clear: ids of stored objects, keyed hashes (Vault.Hash), counts,
// outcomes.
type AuditEntry struct {
	Seq        int64
	At         time.Time
	Actor      Actor
	Action     string // e.g. "verification.create", "evidence.read", "key.rotate"
	ObjectType string // e.g. "verification", "blob", "token"
	ObjectID   string
	RequestID  string
	Remote     string
	Details    map[string]string
	PrevHash   []byte
	Hash       []byte
}

// Where fills the request fields of an entry.
type Where struct {
	RequestID string
	Remote    string
}

// auditHashPrefix makes the hashes of this log unlike any other SHA-256.
const auditHashPrefix = "checkpost audit v1\x00"

// hashAuditEntry is SHA-256 over a canonical encoding of the entry as it is
// stored: the sequence number, the previous hash, then every text field as
// a 4-byte big-endian length and its bytes, so that no two different
// entries encode alike.
func hashAuditEntry(seq int64, prev []byte, fields [10]string) []byte {
	h := sha256.New()
	h.Write([]byte(auditHashPrefix))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	h.Write(n[:])
	binary.BigEndian.PutUint32(n[:4], uint32(len(prev)))
	h.Write(n[:4])
	h.Write(prev)
	for _, f := range fields {
		binary.BigEndian.PutUint32(n[:4], uint32(len(f)))
		h.Write(n[:4])
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}

// auditFields are the stored text columns in hashing order.
const auditFields = `at, actor_kind, actor_id, actor_name, action, object_type, object_id, request_id, remote, details`

func encodeDetails(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d) // sorted keys: one encoding per map
	return string(b), err
}

// appendAudit appends e inside tx, which must be a write transaction
// (BEGIN IMMEDIATE, as every transaction of this store is): the head is
// read and moved under the database's write lock, so two appends can never
// chain onto the same entry. seal, when not nil, authenticates the head.
func appendAudit(ctx context.Context, tx *sql.Tx, e AuditEntry, seal func(seq int64, hash []byte) []byte) (AuditEntry, error) {
	if e.Action == "" {
		return e, errors.New("store: audit entry without an action")
	}
	details, err := encodeDetails(e.Details)
	if err != nil {
		return e, fmt.Errorf("store: audit details: %w", err)
	}
	var headSeq int64
	var prev []byte
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		headSeq, prev = 0, make([]byte, sha256.Size)
	} else if err != nil {
		return e, fmt.Errorf("store: audit head: %w", err)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.Seq = headSeq + 1
	e.PrevHash = prev
	fields := [10]string{fmtTime(e.At), e.Actor.Kind, e.Actor.ID, e.Actor.Name,
		e.Action, e.ObjectType, e.ObjectID, e.RequestID, e.Remote, details}
	e.Hash = hashAuditEntry(e.Seq, prev, fields)
	args := []any{e.Seq}
	for _, f := range fields {
		args = append(args, f)
	}
	args = append(args, prev, e.Hash)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log(seq, `+auditFields+`, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
		return e, fmt.Errorf("store: append audit entry %d: %w", e.Seq, err)
	}
	var mac []byte
	if seal != nil {
		mac = seal(e.Seq, e.Hash)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head(id, seq, hash, seal) VALUES (1, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, seal = excluded.seal`, e.Seq, e.Hash, mac); err != nil {
		return e, fmt.Errorf("store: move audit head to %d: %w", e.Seq, err)
	}
	return e, nil
}

// AuditProblem is one way the audit log departs from an intact chain.
type AuditProblem struct {
	// Seq is the entry where the problem shows (0 for the head).
	Seq int64
	// Kind is "edited", "deleted", "inserted", "reordered", "truncated",
	// "head" (the head record is missing, edited, or its seal is wrong).
	Kind   string
	Detail string
}

func (p AuditProblem) String() string {
	if p.Seq == 0 {
		return fmt.Sprintf("%s: %s", p.Kind, p.Detail)
	}
	return fmt.Sprintf("entry %d: %s: %s", p.Seq, p.Kind, p.Detail)
}

// AuditReport is the result of walking the chain.
type AuditReport struct {
	Entries  int64
	LastSeq  int64  // the last entry whose hash and link checked out
	LastHash []byte // its hash
	HeadSeq  int64
	// HeadSealChecked is true when the keys were given and the head's seal
	// was verified (otherwise a rewrite of the whole chain and its head
	// cannot be told from the real one).
	HeadSealChecked bool
	Problems        []AuditProblem
}

// Intact reports whether the walk found no problem.
func (r *AuditReport) Intact() bool { return len(r.Problems) == 0 }

// maxAuditProblems bounds the report: past the first few, one edit tends
// to repeat itself down the chain.
const maxAuditProblems = 50

// VerifyAudit walks the whole audit log in one read snapshot and checks
// every link: sequence numbers without gaps, each entry's hash over its
// fields, each entry's prev_hash against the entry before, and the head
// record against the last entry. With checkSeal (the hashing key's HMAC, see
// Vault.SealAuditHead) it also checks the head's seal. progress, when not
// nil, is called every 100,000 entries.
func (db *DB) VerifyAudit(ctx context.Context, checkSeal func(seq int64, hash []byte) []byte, progress func(n int64)) (*AuditReport, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: verify audit: %w", err)
	}
	defer tx.Rollback()
	// where finds the entry holding a hash (the column is unique, hence
	// indexed): asked only about broken links, to tell a moved entry from
	// an edited one, so memory stays flat however long the log is.
	where := func(h []byte) (int64, bool) {
		var seq int64
		if err := tx.QueryRowContext(ctx, `SELECT seq FROM audit_log WHERE hash = ?`, h).Scan(&seq); err != nil {
			return 0, false
		}
		return seq, true
	}
	rep := &AuditReport{}
	add := func(p AuditProblem) {
		if len(rep.Problems) < maxAuditProblems {
			rep.Problems = append(rep.Problems, p)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, `+auditFields+`, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("store: verify audit: %w", err)
	}
	defer rows.Close()
	var expectSeq int64 = 1
	expectPrev := make([]byte, sha256.Size)
	broken := false // once a link fails, LastSeq stops moving
	for rows.Next() {
		var seq int64
		var f [10]string
		var prev, stored []byte
		if err := rows.Scan(&seq, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &prev, &stored); err != nil {
			return nil, fmt.Errorf("store: verify audit: entry %d: %w", seq, err)
		}
		rep.Entries++
		if progress != nil && rep.Entries%100000 == 0 {
			progress(rep.Entries)
		}
		ok := true
		if seq > expectSeq {
			add(AuditProblem{Seq: expectSeq, Kind: "deleted", Detail: fmt.Sprintf("entries %d to %d are missing", expectSeq, seq-1)})
			ok = false
		} else if seq < expectSeq {
			// Cannot happen with seq as the primary key read in order; kept
			// so that a schema change cannot hide a duplicate.
			add(AuditProblem{Seq: seq, Kind: "inserted", Detail: "sequence number repeats"})
			ok = false
		}
		recomputed := hashAuditEntry(seq, prev, f)
		switch {
		case !bytes.Equal(recomputed, stored):
			// Did the entry move? Its prev_hash says where it was written.
			if at, found := where(prev); found && at+1 != seq && bytes.Equal(hashAuditEntry(at+1, prev, f), stored) {
				add(AuditProblem{Seq: seq, Kind: "reordered", Detail: fmt.Sprintf("the entry now at %d was written as entry %d", seq, at+1)})
			} else if !bytes.Equal(prev, expectPrev) && ok {
				add(AuditProblem{Seq: seq, Kind: "inserted", Detail: "its hash does not match its fields and it does not link to the entry before: not written by checkpost"})
			} else {
				add(AuditProblem{Seq: seq, Kind: "edited", Detail: "its fields no longer match its hash"})
			}
			ok = false
		case !bytes.Equal(prev, expectPrev) && ok:
			// A self-consistent entry that links elsewhere: computed by
			// someone who knows the scheme, or its predecessor was replaced.
			if _, found := where(prev); found {
				add(AuditProblem{Seq: seq, Kind: "reordered", Detail: "it links to an entry other than the one before it"})
			} else {
				add(AuditProblem{Seq: seq, Kind: "inserted", Detail: "it links to no entry of the log"})
			}
			ok = false
		}
		if !ok {
			broken = true
		}
		if !broken {
			rep.LastSeq, rep.LastHash = seq, stored
		}
		expectSeq = seq + 1
		expectPrev = stored
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: verify audit: %w", err)
	}

	var headHash, seal []byte
	err = tx.QueryRowContext(ctx, `SELECT seq, hash, seal FROM audit_head WHERE id = 1`).Scan(&rep.HeadSeq, &headHash, &seal)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if rep.Entries > 0 {
			add(AuditProblem{Kind: "head", Detail: "the head record is missing"})
		}
		return rep, nil
	case err != nil:
		return nil, fmt.Errorf("store: verify audit: head: %w", err)
	}
	last := expectSeq - 1
	switch {
	case rep.HeadSeq > last:
		add(AuditProblem{Seq: last + 1, Kind: "truncated", Detail: fmt.Sprintf("the head names entry %d but the log ends at %d: the newest entries were deleted", rep.HeadSeq, last)})
	case rep.HeadSeq < last:
		add(AuditProblem{Seq: rep.HeadSeq + 1, Kind: "inserted", Detail: fmt.Sprintf("the log goes on past the head (entry %d) to %d", rep.HeadSeq, last)})
	case !bytes.Equal(headHash, expectPrev):
		add(AuditProblem{Kind: "head", Detail: fmt.Sprintf("the head's hash does not match entry %d", last)})
	}
	if checkSeal != nil {
		rep.HeadSealChecked = true
		if !hmac.Equal(seal, checkSeal(rep.HeadSeq, headHash)) {
			add(AuditProblem{Kind: "head", Detail: "the head's seal is wrong: the head was rewritten without the keys (or the keys are not this database's)"})
		}
	}
	return rep, nil
}

// AuditEntries returns up to limit entries from seq onwards, oldest first.
func (db *DB) AuditEntries(ctx context.Context, from int64, limit int) ([]AuditEntry, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, `+auditFields+`, prev_hash, hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?`, from, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit entries: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at, details string
		if err := rows.Scan(&e.Seq, &at, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Name, &e.Action, &e.ObjectType, &e.ObjectID,
			&e.RequestID, &e.Remote, &details, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: audit entries: %w", err)
		}
		e.At = parseTime(at)
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return nil, fmt.Errorf("store: audit entry %d: details: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// HexHash formats an audit hash for people.
func HexHash(h []byte) string { return hex.EncodeToString(h) }
