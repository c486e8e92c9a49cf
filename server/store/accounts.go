package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// RoleChief is the account role of a higher supervisor, who decides the
// cases supervisors escalate. It is an account role only: no API token has
// it (it is not in Roles).
const RoleChief Role = "chief"

// AccountRoles are the roles an account of the review page may have.
var AccountRoles = []Role{RoleSupervisor, RoleChief}

// ParseAccountRole checks that s names an account role.
func ParseAccountRole(s string) (Role, error) {
	for _, r := range AccountRoles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown account role %q (want supervisor or chief)", s)
}

// Account is a person who signs in to the review page.
type Account struct {
	ID        int64
	Name      string
	Role      Role
	CreatedAt time.Time
	Disabled  bool
}

// Actor returns the account as the actor of audit entries and decisions.
func (a Account) Actor() Actor {
	return Actor{Kind: "account", ID: strconv.FormatInt(a.ID, 10), Name: a.Name}
}

// Errors of accounts and sign-in.
var (
	ErrAccountExists = errors.New("store: an account of that name exists")
	// ErrBadCredentials is returned for an unknown name, a wrong password
	// or a disabled account alike, so that a caller cannot tell which.
	ErrBadCredentials = errors.New("store: wrong name or password")
	// ErrAccountLocked is returned after too many wrong passwords in a row,
	// until the lock ends (even for the right password).
	ErrAccountLocked   = errors.New("store: account locked after repeated wrong passwords")
	ErrAccountNotFound = errors.New("store: account not found")
)

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 12

// Sign-in throttling: after MaxFailedLogins wrong passwords in a row the
// account is locked for LoginLockout.
const (
	MaxFailedLogins = 5
	LoginLockout    = 5 * time.Minute
)

// Argon2id parameters for new password hashes: RFC 9106's second
// recommended option (64 MiB, 3 passes) with 2 lanes for this class of
// machine. Stored hashes carry their own parameters and stay verifiable
// when these change.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns the argon2id hash of password in PHC string form.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("store: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// passwordHash is a parsed PHC argon2id string.
type passwordHash struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// Bounds on stored parameters, so that a corrupted or hostile hash cannot
// make a sign-in allocate gigabytes or spin for minutes.
const (
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonTime   = 20
)

// parsePasswordHash reads "$argon2id$v=19$m=65536,t=3,p=2$SALT$KEY".
func parsePasswordHash(s string) (passwordHash, error) {
	var h passwordHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errors.New("store: password hash: not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("store: password hash: version %q, want v=%d", parts[2], argon2.Version)
	}
	var seen [3]bool
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return h, fmt.Errorf("store: password hash: bad parameter %q", kv)
		}
		switch k {
		case "m":
			h.memory, seen[0] = uint32(n), true
		case "t":
			h.time, seen[1] = uint32(n), true
		case "p":
			if n > 255 {
				return h, fmt.Errorf("store: password hash: parallelism %d out of range", n)
			}
			h.threads, seen[2] = uint8(n), true
		default:
			return h, fmt.Errorf("store: password hash: unknown parameter %q", k)
		}
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return h, errors.New("store: password hash: m, t and p are all required")
	}
	if h.time < 1 || h.time > maxArgonTime || h.threads < 1 || h.memory < 8*uint32(h.threads) || h.memory > maxArgonMemory {
		return h, fmt.Errorf("store: password hash: parameters m=%d,t=%d,p=%d out of range", h.memory, h.time, h.threads)
	}
	var err error
	b64 := base64.RawStdEncoding
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, errors.New("store: password hash: bad salt")
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, errors.New("store: password hash: bad key")
	}
	return h, nil
}

// CheckPassword reports whether password matches the PHC string encoded.
// A malformed hash is an error, never a match.
func CheckPassword(encoded, password string) (bool, error) {
	h, err := parsePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// dummyHash is checked against when the account does not exist, so that
// a wrong name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("no such account")
	if err != nil {
		panic(err)
	}
	return h
})

// CreateAccount adds an account with the password hashed by argon2id.
func (db *DB) CreateAccount(ctx context.Context, name string, role Role, password string) (Account, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Account{}, errors.New("store: create account: empty name")
	}
	if _, err := ParseAccountRole(string(role)); err != nil {
		return Account{}, fmt.Errorf("store: create account: %w", err)
	}
	if len([]rune(password)) < MinPasswordLength {
		return Account{}, fmt.Errorf("store: create account: the password must have at least %d characters", MinPasswordLength)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return Account{}, err
	}
	now := time.Now()
	var id int64
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: %q", ErrAccountExists, name)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts(name, role, password_hash, created_at) VALUES (?, ?, ?, ?)`,
			name, string(role), hash, fmtTime(now))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		if errors.Is(err, ErrAccountExists) {
			return Account{}, err
		}
		return Account{}, fmt.Errorf("store: create account: %w", err)
	}
	return Account{ID: id, Name: name, Role: role, CreatedAt: now}, nil
}

// SetPassword replaces an account's password and lifts a lock.
func (db *DB) SetPassword(ctx context.Context, name, password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return fmt.Errorf("store: set password: the password must have at least %d characters", MinPasswordLength)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, `UPDATE accounts SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE name = ?`, hash, name)
	if err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %q", ErrAccountNotFound, name)
	}
	return nil
}

const accountColumns = `id, name, role, created_at, disabled_at`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var role, created string
	var disabled sql.NullString
	if err := row.Scan(&a.ID, &a.Name, &role, &created, &disabled); err != nil {
		return a, err
	}
	a.Role, a.CreatedAt, a.Disabled = Role(role), parseTime(created), disabled.Valid
	return a, nil
}

// AccountByID returns an account.
func (db *DB) AccountByID(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%w: %d", ErrAccountNotFound, id)
	}
	return a, err
}

// Accounts lists the live accounts of a role (every role when role is
// empty), by name.
func (db *DB) Accounts(ctx context.Context, role Role) ([]Account, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE disabled_at IS NULL AND (? = '' OR role = ?) ORDER BY name`, string(role), string(role))
	if err != nil {
		return nil, fmt.Errorf("store: accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("store: accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Authenticate checks a name and password. Wrong passwords in a row lock
// the account for LoginLockout after MaxFailedLogins; a right one resets
// the count. The work done is the same whether the name exists or not.
func (db *DB) Authenticate(ctx context.Context, name, password string) (Account, error) {
	var hash string
	var lockedUntil sql.NullString
	a, err := scanAccountWith(db.QueryRowContext(ctx, `SELECT `+accountColumns+`, password_hash, locked_until
		FROM accounts WHERE name = ?`, strings.TrimSpace(name)), &hash, &lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		_, _ = CheckPassword(dummyHash(), password)
		return Account{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, fmt.Errorf("store: sign in: %w", err)
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return Account{}, fmt.Errorf("store: sign in %q: %w", a.Name, err)
	}
	now := time.Now()
	if lockedUntil.Valid && parseTime(lockedUntil.String).After(now) {
		return Account{}, ErrAccountLocked
	}
	if a.Disabled {
		return Account{}, ErrBadCredentials
	}
	if !ok {
		err := db.writeTx(ctx, func(tx *sql.Tx) error {
			var failed int
			if err := tx.QueryRowContext(ctx, `UPDATE accounts SET failed_logins = failed_logins + 1 WHERE id = ?
				RETURNING failed_logins`, a.ID).Scan(&failed); err != nil {
				return err
			}
			if failed >= MaxFailedLogins {
				_, err := tx.ExecContext(ctx, `UPDATE accounts SET failed_logins = 0, locked_until = ? WHERE id = ?`,
					fmtTime(now.Add(LoginLockout)), a.ID)
				return err
			}
			return nil
		})
		if err != nil {
			return Account{}, fmt.Errorf("store: sign in: %w", err)
		}
		return Account{}, ErrBadCredentials
	}
	if _, err := db.ExecContext(ctx, `UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = ?`, a.ID); err != nil {
		return Account{}, fmt.Errorf("store: sign in: %w", err)
	}
	return a, nil
}

func scanAccountWith(row *sql.Row, extra ...any) (Account, error) {
	var a Account
	var role, created string
	var disabled sql.NullString
	dst := append([]any{&a.ID, &a.Name, &role, &created, &disabled}, extra...)
	if err := row.Scan(dst...); err != nil {
		return a, err
	}
	a.Role, a.CreatedAt, a.Disabled = Role(role), parseTime(created), disabled.Valid
	return a, nil
}

// Session is a signed-in browser.
type Session struct {
	// AccountID is set for a supervisor's or chief's session, TokenID for a
	// counter terminal's (which sees only its own submissions).
	AccountID int64
	TokenID   int64
	Role      Role
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time
	LastSeen  time.Time
	// CSRF is the token every form of this session must send back. It is
	// derived from the session's secret, so it is never stored.
	CSRF string
}

// Actor returns who acts in this session.
func (s Session) Actor() Actor {
	if s.AccountID != 0 {
		return Actor{Kind: "account", ID: strconv.FormatInt(s.AccountID, 10), Name: s.Name}
	}
	return Actor{Kind: "token", ID: strconv.FormatInt(s.TokenID, 10), Name: s.Name}
}

// Session lifetimes: a session ends SessionLifetime after sign-in, or
// after SessionIdle without a request, whichever comes first.
const (
	SessionLifetime = 12 * time.Hour
	SessionIdle     = 30 * time.Minute
	// sessionTouchEvery bounds the writes that keep a session alive.
	sessionTouchEvery = time.Minute
)

// ErrSessionNotFound is returned for an unknown, ended or expired session.
var ErrSessionNotFound = errors.New("store: session not found or expired")

const sessionPrefix = "cps_"

func sessionHash(secret string) []byte {
	h := sha256.Sum256([]byte("checkpost session\x00" + secret))
	return h[:]
}

func csrfFor(secret string) string {
	h := sha256.Sum256([]byte("checkpost csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// CreateSession starts a session of an account (accountID) or of an API
// token (tokenID), and returns its secret for the cookie: the only time it
// is seen.
func (db *DB) CreateSession(ctx context.Context, accountID, tokenID int64, role Role, name string) (string, Session, error) {
	if (accountID == 0) == (tokenID == 0) {
		return "", Session{}, errors.New("store: a session is of an account or of a token")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Session{}, fmt.Errorf("store: create session: %w", err)
	}
	secret := sessionPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	now := time.Now()
	s := Session{AccountID: accountID, TokenID: tokenID, Role: role, Name: name, CreatedAt: now,
		ExpiresAt: now.Add(SessionLifetime), LastSeen: now, CSRF: csrfFor(secret)}
	var acc, tok any
	if accountID != 0 {
		acc = accountID
	} else {
		tok = tokenID
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		// Ended and expired sessions are cleared as new ones begin.
		if _, err := tx.ExecContext(ctx, `DELETE FROM ui_sessions WHERE ended_at IS NOT NULL OR expires_at < ? OR last_seen_at < ?`,
			fmtTime(now.Add(-time.Hour)), fmtTime(now.Add(-SessionIdle-time.Hour))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ui_sessions(id_hash, account_id, token_id, role, name, created_at, expires_at, last_seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sessionHash(secret), acc, tok, string(role), name, fmtTime(now), fmtTime(s.ExpiresAt), fmtTime(now))
		return err
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("store: create session: %w", err)
	}
	return secret, s, nil
}

// LookupSession returns the live session of a secret and marks it seen.
// A session of a disabled account or a revoked token is not live.
func (db *DB) LookupSession(ctx context.Context, secret string) (Session, error) {
	return db.lookupSession(ctx, secret, true)
}

// PeekSession is LookupSession without marking the session seen: for
// requests a page makes by itself (the queue's polling), which must not
// keep an unattended screen signed in past the idle limit.
func (db *DB) PeekSession(ctx context.Context, secret string) (Session, error) {
	return db.lookupSession(ctx, secret, false)
}

func (db *DB) lookupSession(ctx context.Context, secret string, touch bool) (Session, error) {
	if !strings.HasPrefix(secret, sessionPrefix) || len(secret) > 100 {
		return Session{}, ErrSessionNotFound
	}
	var s Session
	var acc, tok sql.NullInt64
	var role, created, expires, seen string
	err := db.QueryRowContext(ctx, `SELECT s.account_id, s.token_id, s.role, s.name, s.created_at, s.expires_at, s.last_seen_at
		FROM ui_sessions s LEFT JOIN accounts a ON a.id = s.account_id LEFT JOIN api_tokens t ON t.id = s.token_id
		WHERE s.id_hash = ? AND s.ended_at IS NULL
		AND (s.account_id IS NULL OR a.disabled_at IS NULL) AND (s.token_id IS NULL OR t.revoked_at IS NULL)`,
		sessionHash(secret)).Scan(&acc, &tok, &role, &s.Name, &created, &expires, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrSessionNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	s.AccountID, s.TokenID, s.Role = acc.Int64, tok.Int64, Role(role)
	s.CreatedAt, s.ExpiresAt, s.LastSeen = parseTime(created), parseTime(expires), parseTime(seen)
	now := time.Now()
	if now.After(s.ExpiresAt) || now.Sub(s.LastSeen) > SessionIdle {
		return Session{}, ErrSessionNotFound
	}
	if touch && now.Sub(s.LastSeen) > sessionTouchEvery {
		if _, err := db.ExecContext(ctx, `UPDATE ui_sessions SET last_seen_at = ? WHERE id_hash = ?`, fmtTime(now), sessionHash(secret)); err != nil {
			return Session{}, fmt.Errorf("store: session: %w", err)
		}
		s.LastSeen = now
	}
	s.CSRF = csrfFor(secret)
	return s, nil
}

// EndSession ends a session (sign-out); ending an unknown one is no error.
func (db *DB) EndSession(ctx context.Context, secret string) error {
	_, err := db.ExecContext(ctx, `UPDATE ui_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL`,
		fmtTime(time.Now()), sessionHash(secret))
	if err != nil {
		return fmt.Errorf("store: end session: %w", err)
	}
	return nil
}
