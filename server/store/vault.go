package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"checkpost/server/crypt"
)

// timeFormat is fixed-width, so that stored times sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

// writeLocks serialises the write transactions of one DB inside this
// process. SQLite serialises writers anyway (every transaction here begins
// IMMEDIATE), but a waiting writer polls with sleeps of up to 100 ms; a
// mutex hands the lock over at once.
var writeLocks sync.Map // *DB -> *sync.Mutex

// writeTx runs fn in a write transaction and commits it.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	m, _ := writeLocks.LoadOrStore(db, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Vault is the part of the store that needs the keys: encrypted blobs,
// keyed hashes of personal identifiers, verifications and movements, and the
// audit log (whose head it seals). It is safe for concurrent use.
type Vault struct {
	db        *DB
	keys      atomic.Pointer[crypt.Keyring]
	retention atomic.Int64 // nanoseconds; 0 keeps images until deleted
}

// ErrWrongKeys is returned when the keyring does not belong to the
// database: its hashing key differs, or it lacks a key that sealed data.
var ErrWrongKeys = errors.New("store: the keys do not belong to this database")

// NewVault joins a database and a keyring. It refuses a keyring whose
// hashing key differs from the one the database was first used with (the
// keyed hashes already stored would match nothing) or that lacks a key
// some stored blob was sealed with (that data could not be read).
func NewVault(ctx context.Context, db *DB, keys *crypt.Keyring) (*Vault, error) {
	v := &Vault{db: db}
	v.keys.Store(keys)
	check := keys.HashKeyCheck()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var stored string
		err := tx.QueryRowContext(ctx, `SELECT value FROM vault_meta WHERE name = 'hash_key_check'`).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, `INSERT INTO vault_meta(name, value) VALUES ('hash_key_check', ?)`, check)
			return err
		}
		if err != nil {
			return err
		}
		if stored != check {
			return fmt.Errorf("%w: its hashing key differs from the one %s was first used with (wrong --key-file or %s?)", ErrWrongKeys, db.path, crypt.EnvVar)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: open vault: %w", err)
	}
	missing, err := v.missingKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: stored data is sealed with key(s) %s, which the keyring lacks", ErrWrongKeys, strings.Join(missing, ", "))
	}
	return v, nil
}

func (v *Vault) missingKeys(ctx context.Context, keys *crypt.Keyring) ([]string, error) {
	usage, err := v.KeyUsage(ctx)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, u := range usage {
		if !keys.Has(u.KeyID) {
			missing = append(missing, u.KeyID)
		}
	}
	return missing, nil
}

// DB returns the database under the vault.
func (v *Vault) DB() *DB { return v.db }

// Keys returns the keyring in use.
func (v *Vault) Keys() *crypt.Keyring { return v.keys.Load() }

// SetKeys replaces the keyring (after a rotation). The new ring must hold
// every key that sealed stored data and the same hashing key.
func (v *Vault) SetKeys(ctx context.Context, keys *crypt.Keyring) error {
	if keys.HashKeyCheck() != v.Keys().HashKeyCheck() {
		return fmt.Errorf("%w: the new keyring has another hashing key", ErrWrongKeys)
	}
	missing, err := v.missingKeys(ctx, keys)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: the new keyring lacks key(s) %s still in use", ErrWrongKeys, strings.Join(missing, ", "))
	}
	v.keys.Store(keys)
	return nil
}

// SetRetention sets how long images and templates of verifications are
// kept (0: until deleted). It applies to blobs stored from now on.
func (v *Vault) SetRetention(d time.Duration) { v.retention.Store(int64(d)) }

// Retention returns the retention period.
func (v *Vault) Retention() time.Duration { return time.Duration(v.retention.Load()) }

// Hash returns the keyed hash of a personal identifier (see crypt.Keyring.Hash).
func (v *Vault) Hash(domain, value string) string { return v.Keys().Hash(domain, value) }

// sealHead authenticates the audit head with the hashing key.
func (v *Vault) sealHead(seq int64, hash []byte) []byte {
	return SealAuditHead(v.Keys(), seq, hash)
}

// SealAuditHead is the HMAC that authenticates the audit head (seq, hash)
// under the keyring's hashing key.
func SealAuditHead(keys *crypt.Keyring, seq int64, hash []byte) []byte {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	m := hmac.New(sha256.New, []byte(keys.Hash("audit head key", "")))
	m.Write(n[:])
	m.Write(hash)
	return m.Sum(nil)
}

// Audit appends one entry to the audit log in its own transaction.
func (v *Vault) Audit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	var out AuditEntry
	err := v.db.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = appendAudit(ctx, tx, e, v.sealHead)
		return err
	})
	return out, err
}

// AuditTx appends one entry inside the caller's write transaction, so that
// the entry and the change it records commit together or not at all.
func (v *Vault) AuditTx(ctx context.Context, tx *sql.Tx, e AuditEntry) (AuditEntry, error) {
	return appendAudit(ctx, tx, e, v.sealHead)
}

// WriteTx runs fn in a write transaction of the vault's database
// (serialised with every other write of this process) and commits it.
func (v *Vault) WriteTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return v.db.writeTx(ctx, fn)
}

// newID returns a random id with a prefix: "v_" for verifications, "b_" for
// blobs. Random (not sequential) ids cannot be guessed from one another.
func newID(prefix string) string {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("store: crypto/rand failed: " + err.Error())
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// HasVault reports whether the database was ever used with keys: then a
// new keyring must not be generated for it (its data needs the old one).
func (db *DB) HasVault(ctx context.Context) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM vault_meta WHERE name = 'hash_key_check'`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	return n > 0, nil
}
