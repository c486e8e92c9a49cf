package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "checkpost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenMigratesAndRecordsVersion(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := ms[len(ms)-1].version; v != want {
		t.Fatalf("schema version %d, want %d", v, want)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q (%v), want wal", mode, err)
	}
	var timeout int
	if err := db.QueryRow("PRAGMA busy_timeout").Scan(&timeout); err != nil || timeout != int(BusyTimeout.Milliseconds()) {
		t.Fatalf("busy_timeout = %d (%v)", timeout, err)
	}
}

func TestReopenKeepsDataAndDoesNotReapply(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := db.CreateToken(ctx, RoleCounter, "counter 1")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	var applied int
	if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations()
	if applied != len(ms) {
		t.Fatalf("%d migrations recorded, want %d", applied, len(ms))
	}
	if _, err := db.LookupToken(ctx, secret); err != nil {
		t.Fatalf("token lost on reopen: %v", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (999999, 'future.sql', 'now')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("Open accepted a database from a newer binary")
	}
}

func TestOpenRejectsGarbageFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.db")
	if err := writeFile(path, []byte("this is not a database, just some text that is long enough to look like a header of something")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path); err == nil {
		t.Fatal("Open accepted a file that is not a SQLite database")
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if _, _, err := db.CreateToken(ctx, Role("king"), "x"); err == nil {
		t.Fatal("created a token with an unknown role")
	}
	if _, _, err := db.CreateToken(ctx, RoleAdmin, " "); err == nil {
		t.Fatal("created a token without a name")
	}
	secret, tok, err := db.CreateToken(ctx, RoleSupervisor, "sup A")
	if err != nil {
		t.Fatal(err)
	}
	secret2, _, err := db.CreateToken(ctx, RoleSupervisor, "sup A")
	if err != nil || secret2 == secret {
		t.Fatalf("second token: %v (same secret: %v)", err, secret2 == secret)
	}
	got, err := db.LookupToken(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Role != RoleSupervisor || got.Name != "sup A" {
		t.Fatalf("LookupToken = %+v, %v", got, err)
	}
	var stored []byte
	if err := db.QueryRow("SELECT hash FROM api_tokens WHERE id = ?", tok.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if string(stored) == secret {
		t.Fatal("token stored in clear")
	}
	if _, err := db.LookupToken(ctx, secret+"x"); !errors.Is(err, ErrTokenNotFound) {
		t.Fatalf("wrong secret: err = %v, want ErrTokenNotFound", err)
	}
	if err := db.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LookupToken(ctx, secret); !errors.Is(err, ErrTokenNotFound) {
		t.Fatalf("revoked token still works: %v", err)
	}
	if n, err := db.CountTokens(ctx); err != nil || n != 1 {
		t.Fatalf("CountTokens = %d, %v; want 1", n, err)
	}
}

// TestLateLowerMigrationIsApplied: a migration numbered below the newest
// applied one (work that landed later) is still applied on the next start.
func TestLateLowerMigrationIsApplied(t *testing.T) {
	ctx := context.Background()
	orig := migrationFiles
	t.Cleanup(func() { migrationFiles = orig })
	files := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0900_c.sql": {Data: []byte("CREATE TABLE c (x INTEGER);")},
	}
	migrationFiles = files
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	files["migrations/0800_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER);")}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("INSERT INTO b(x) VALUES (1)"); err != nil {
		t.Fatalf("late migration not applied: %v", err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	// A failing migration leaves the database as it was.
	files["migrations/0850_bad.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE d (x INTEGER); THIS IS NOT SQL;")}
	db.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("a broken migration was accepted")
	}
	delete(files, "migrations/0850_bad.sql")
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("INSERT INTO d(x) VALUES (1)"); err == nil {
		t.Fatal("half of a failed migration was kept")
	}
}
