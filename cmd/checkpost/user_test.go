package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/server/store"
)

func TestUserCreateAndPasswd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "u.db")
	code, out, errOut := runStdin(t, "a long enough password\n", "user", "create", "--db", db, "--name", "chief1", "--role", "chief")
	if code != 0 || !strings.Contains(out, "chief1 (chief)") {
		t.Fatalf("user create: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runStdin(t, "another long password\n", "user", "create", "--db", db, "--name", "chief1", "--role", "chief"); code != 1 {
		t.Fatalf("a second account of the same name: exit %d, want 1", code)
	}
	for _, bad := range [][]string{
		{"user", "create", "--db", db, "--name", "x", "--role", "admin"},
		{"user", "create", "--db", db, "--role", "supervisor"},
	} {
		if code, _, _ := runStdin(t, "a long enough password\n", bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, _, _ := runStdin(t, "", "user", "create", "--db", db, "--name", "s", "--role", "supervisor"); code != 2 {
		t.Errorf("no password: exit %d, want 2", code)
	}
	if code, _, _ := runStdin(t, "short\n", "user", "create", "--db", db, "--name", "s", "--role", "supervisor"); code != 1 {
		t.Errorf("short password: exit %d, want 1", code)
	}
	if code, out, errOut := runStdin(t, "a brand new password\r\n", "user", "passwd", "--db", db, "--name", "chief1"); code != 0 {
		t.Fatalf("user passwd: exit %d\n%s%s", code, out, errOut)
	}
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if a, err := d.Authenticate(context.Background(), "chief1", "a brand new password"); err != nil || a.Role != store.RoleChief {
		t.Fatalf("sign in with the new password: %+v, %v", a, err)
	}
	if _, err := d.Authenticate(context.Background(), "chief1", "a long enough password"); !errors.Is(err, store.ErrBadCredentials) {
		t.Fatalf("the old password still works: %v", err)
	}
}
