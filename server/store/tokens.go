package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role is what a token may do. Each API endpoint names the roles it admits.
type Role string

// The roles, from the counter terminal up.
const (
	RoleCounter    Role = "counter"    // a counter terminal: submits verifications
	RoleStation    Role = "station"    // a forgery-detection station: verifications with all evidence
	RoleSupervisor Role = "supervisor" // reviews referred cases and decides
	RoleAdmin      Role = "admin"      // watchlists, profiles, tokens
)

// Roles lists every role.
var Roles = []Role{RoleCounter, RoleStation, RoleSupervisor, RoleAdmin}

// ParseRole checks that s names a role.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want one of counter, station, supervisor, admin)", s)
}

// Token is a stored API token, without its secret.
type Token struct {
	ID        int64
	Name      string
	Role      Role
	CreatedAt time.Time
}

// tokenPrefix marks checkpost tokens so that secret scanners and people can
// recognise them.
const tokenPrefix = "cpt_"

// ErrTokenNotFound is returned for an unknown or revoked token.
var ErrTokenNotFound = errors.New("store: token not found")

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken makes a new random token with the given role and name, stores
// its hash, and returns the token's secret: the only time it is seen.
func (db *DB) CreateToken(ctx context.Context, role Role, name string) (string, Token, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, fmt.Errorf("store: create token: %w", err)
	}
	if strings.TrimSpace(name) == "" {
		return "", Token{}, errors.New("store: create token: empty name")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, fmt.Errorf("store: create token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	now := time.Now().UTC()
	res, err := db.ExecContext(ctx, `INSERT INTO api_tokens(name, role, hash, created_at) VALUES (?, ?, ?, ?)`,
		name, string(role), hashToken(secret), now.Format(time.RFC3339Nano))
	if err != nil {
		return "", Token{}, fmt.Errorf("store: create token: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return "", Token{}, fmt.Errorf("store: create token: %w", err)
	}
	return secret, Token{ID: id, Name: name, Role: role, CreatedAt: now}, nil
}

// LookupToken returns the live token whose secret is given.
func (db *DB) LookupToken(ctx context.Context, secret string) (Token, error) {
	var t Token
	var role, created string
	err := db.QueryRowContext(ctx, `SELECT id, name, role, created_at FROM api_tokens WHERE hash = ? AND revoked_at IS NULL`,
		hashToken(secret)).Scan(&t.ID, &t.Name, &role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrTokenNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("store: lookup token: %w", err)
	}
	t.Role = Role(role)
	t.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return t, nil
}

// CountTokens returns the number of live tokens.
func (db *DB) CountTokens(ctx context.Context) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count tokens: %w", err)
	}
	return n, nil
}

// RevokeToken ends a token's life; its row stays for the audit trail.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	res, err := db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		time.Now().UTC().Format(time.RFC3339Nano), id)
	if err != nil {
		return fmt.Errorf("store: revoke token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: revoke token %d: %w", id, ErrTokenNotFound)
	}
	return nil
}
