package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"checkpost/server/crypt"
	"checkpost/server/store"
)

// auditDB makes a database with n audit entries and its key file beside it
// (where the commands find it by themselves).
func auditDB(t *testing.T, n int) (dbPath string, keys *crypt.Keyring) {
	t.Helper()
	ctx := context.Background()
	dbPath = filepath.Join(t.TempDir(), "checkpost.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err = crypt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(defaultKeyFile(dbPath)); err != nil {
		t.Fatal(err)
	}
	v, err := store.NewVault(ctx, db, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := v.Audit(ctx, store.AuditEntry{Actor: store.SystemActor, Action: "test.entry", ObjectID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	return dbPath, keys
}

func sqlOn(t *testing.T, dbPath string, stmts ...string) {
	t.Helper()
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range append([]string{"DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"}, stmts...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	dbPath, _ := auditDB(t, 8)
	code, out, errOut := run(t, "audit", "verify", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "audit log intact: 8 entries") || !strings.Contains(out, "head seal: checked") {
		t.Fatalf("intact log: exit %d\n%s%s", code, out, errOut)
	}
	anchor := regexp.MustCompile(`last verified: (\d+:[0-9a-f]{64})`).FindStringSubmatch(out)
	if anchor == nil {
		t.Fatalf("no last verified entry printed:\n%s", out)
	}
	if code, out, _ := run(t, "audit", "verify", "--db", dbPath, "--anchor", anchor[1]); code != 0 {
		t.Fatalf("anchor of an intact log: exit %d\n%s", code, out)
	}

	cases := []struct {
		name  string
		stmts []string
		want  string
	}{
		{"edited", []string{`UPDATE audit_log SET object_id = 'x' WHERE seq = 3`}, "TAMPERED entry 3: edited"},
		{"deleted", []string{`DELETE FROM audit_log WHERE seq = 5`}, "TAMPERED entry 5: deleted"},
		{"swapped", []string{`UPDATE audit_log SET seq = -2 WHERE seq = 2`, `UPDATE audit_log SET seq = 2 WHERE seq = 6`, `UPDATE audit_log SET seq = 6 WHERE seq = -2`}, "TAMPERED entry 2: reordered"},
		{"truncated", []string{`DELETE FROM audit_log WHERE seq = 8`}, "TAMPERED entry 8: truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbPath, _ := auditDB(t, 8)
			sqlOn(t, dbPath, c.stmts...)
			code, out, _ := run(t, "audit", "verify", "--db", dbPath)
			if code != 1 || !strings.Contains(out, c.want) || !strings.Contains(out, "NOT intact") {
				t.Fatalf("exit %d, want 1 with %q:\n%s", code, c.want, out)
			}
			code, out, _ = run(t, "audit", "verify", "--db", dbPath, "--json")
			if code != 1 || !strings.Contains(out, `"intact": false`) {
				t.Fatalf("--json: exit %d\n%s", code, out)
			}
		})
	}

	// A rollback to an older copy passes every internal check; only the
	// anchor kept outside catches it.
	dbPath, keys := auditDB(t, 4)
	older, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	v, err := store.NewVault(context.Background(), db, keys)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		v.Audit(context.Background(), store.AuditEntry{Actor: store.SystemActor, Action: "test.later"})
	}
	db.Close()
	code, out, _ = run(t, "audit", "verify", "--db", dbPath)
	later := regexp.MustCompile(`last verified: (6:[0-9a-f]{64})`).FindStringSubmatch(out)
	if code != 0 || later == nil {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	os.Remove(dbPath + "-wal")
	os.Remove(dbPath + "-shm")
	if err := os.WriteFile(dbPath, older, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, "audit", "verify", "--db", dbPath); code != 0 {
		t.Fatalf("the rolled-back copy should pass the internal checks (a documented limit): exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, "audit", "verify", "--db", dbPath, "--anchor", later[1]); code != 1 || !strings.Contains(out, "anchored entry is gone") {
		t.Fatalf("rollback with an anchor: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "audit", "verify", "--db", dbPath, "--anchor", "nonsense"); code != 2 {
		t.Fatalf("bad anchor: exit %d %s", code, errOut)
	}
	if code, out, _ := run(t, "audit", "verify", "--db", dbPath, "--anchor", "99:"+strings.Repeat("ab", 32)); code != 1 || !strings.Contains(out, "anchored entry is gone") {
		t.Fatalf("anchor past the end: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "audit", "verify", "--db", filepath.Join(t.TempDir(), "missing.db")); code != 1 || !strings.Contains(errOut, "missing.db") {
		t.Fatalf("missing database: exit %d %s", code, errOut)
	}
}

func TestKeyCommands(t *testing.T) {
	ctx := context.Background()
	dbPath, keys := auditDB(t, 0)
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	v, err := store.NewVault(ctx, db, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := v.PutBlob(ctx, store.BlobInput{Kind: store.KindFingerImage, ContentType: "image/png", Data: fmt.Appendf(nil, "img %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	old := keys.ActiveID()
	code, out, errOut := run(t, "key", "status", "--db", dbPath)
	if code != 0 || !strings.Contains(out, old+" (active)\t5 blobs") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "key", "retire", "--db", dbPath, "--id", old); code != 1 || !strings.Contains(errOut, "active") {
		t.Fatalf("retiring the active key: exit %d %s", code, errOut)
	}
	code, _, errOut = run(t, "key", "rotate", "--db", dbPath, "--no-reencrypt")
	if code != 0 {
		t.Fatalf("rotate: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "key", "retire", "--db", dbPath, "--id", old); code != 1 || !strings.Contains(errOut, "still in use") {
		t.Fatalf("retiring a key in use: exit %d %s", code, errOut)
	}
	code, _, errOut = run(t, "key", "reencrypt", "--db", dbPath)
	if code != 0 || !strings.Contains(errOut, "re-encryption done: 5 blobs") {
		t.Fatalf("reencrypt: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "key", "retire", "--db", dbPath, "--id", old); code != 0 {
		t.Fatalf("retire: exit %d %s", code, errOut)
	}
	kf, err := crypt.LoadFile(defaultKeyFile(dbPath))
	if err != nil || kf.Has(old) || len(kf.IDs()) != 1 {
		t.Fatalf("key file after retire: %v %v", kf.IDs(), err)
	}
	code, out, _ = run(t, "audit", "verify", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "3 entries") {
		t.Fatalf("rotate, reencrypt and retire not audited: %s", out)
	}
	// A key file that is not this database's is refused.
	other, _ := crypt.Generate()
	otherFile := filepath.Join(t.TempDir(), "other.keys")
	other.WriteFile(otherFile)
	if code, _, errOut := run(t, "key", "status", "--db", dbPath, "--key-file", otherFile); code != 1 || !strings.Contains(errOut, "do not belong") {
		t.Fatalf("foreign key file: exit %d %s", code, errOut)
	}
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]string{"30d": "720h0m0s", "0": "0s", "12h": "12h0m0s", "0d": "0s"} {
		d, err := parseRetention(in)
		if err != nil || d.String() != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	for _, in := range []string{"", "-1d", "x", "3w", "-5h"} {
		if _, err := parseRetention(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
