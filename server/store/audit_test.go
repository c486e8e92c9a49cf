package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"checkpost/server/crypt"
)

func openVault(t *testing.T, path string) (*Vault, *crypt.Keyring) {
	t.Helper()
	keys, err := crypt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return openVaultWith(t, path, keys), keys
}

func openVaultWith(t *testing.T, path string, keys *crypt.Keyring) *Vault {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	v, err := NewVault(context.Background(), db, keys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func appendEntries(t *testing.T, v *Vault, n int) {
	t.Helper()
	for i := range n {
		_, err := v.Audit(context.Background(), AuditEntry{
			Actor: Actor{Kind: "token", ID: fmt.Sprint(i%3 + 1), Name: "counter"}, Action: "verification.create",
			ObjectType: "verification", ObjectID: fmt.Sprintf("v_%d", i), RequestID: fmt.Sprintf("req-%d", i),
			Remote: "127.0.0.1:5000", Details: map[string]string{"recommendation": "CLEAR", "n": fmt.Sprint(i)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tamper opens the database file as an intruder would (without the
// triggers that guard it against mistakes) and runs sql on it.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range append([]string{
		"DROP TRIGGER IF EXISTS audit_log_no_update",
		"DROP TRIGGER IF EXISTS audit_log_no_delete",
		"DROP TRIGGER IF EXISTS audit_head_no_delete",
	}, stmts...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func verify(t *testing.T, path string, keys *crypt.Keyring) *AuditReport {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seal func(int64, []byte) []byte
	if keys != nil {
		seal = func(seq int64, h []byte) []byte { return SealAuditHead(keys, seq, h) }
	}
	rep, err := db.VerifyAudit(context.Background(), seal, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAuditChainIntactAndGuarded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	v, keys := openVault(t, path)
	if rep := verify(t, path, keys); !rep.Intact() || rep.Entries != 0 {
		t.Fatalf("empty log: %+v", rep)
	}
	appendEntries(t, v, 10)
	rep := verify(t, path, keys)
	if !rep.Intact() || rep.Entries != 10 || rep.LastSeq != 10 || rep.HeadSeq != 10 || !rep.HeadSealChecked {
		t.Fatalf("intact log reported as %+v", rep)
	}
	// The triggers stop code that tries to change history.
	if _, err := v.DB().Exec(`UPDATE audit_log SET action = 'x' WHERE seq = 3`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("UPDATE of the audit log: %v", err)
	}
	if _, err := v.DB().Exec(`DELETE FROM audit_log WHERE seq = 3`); err == nil {
		t.Fatal("DELETE from the audit log succeeded")
	}
	entries, err := v.DB().AuditEntries(context.Background(), 4, 2)
	if err != nil || len(entries) != 2 || entries[0].Seq != 4 || entries[0].Details["n"] != "3" || entries[0].Actor.Name != "counter" {
		t.Fatalf("AuditEntries: %+v, %v", entries, err)
	}
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name     string
		stmts    []string
		wantSeq  int64
		wantKind string
		lastGood int64
	}{
		{"update a field", []string{`UPDATE audit_log SET object_id = 'v_other' WHERE seq = 5`}, 5, "edited", 4},
		{"update details", []string{`UPDATE audit_log SET details = '{"recommendation":"ALERT","n":"6"}' WHERE seq = 7`}, 7, "edited", 6},
		{"delete a row", []string{`DELETE FROM audit_log WHERE seq = 4`}, 4, "deleted", 3},
		{"swap two rows", []string{
			`UPDATE audit_log SET seq = -3 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 6`,
			`UPDATE audit_log SET seq = 6 WHERE seq = -3`}, 3, "reordered", 2},
		{"insert a row", []string{
			`INSERT INTO audit_log SELECT 11, at, actor_kind, actor_id, actor_name, action, object_type, object_id, request_id, remote, details, prev_hash, randomblob(32) FROM audit_log WHERE seq = 10`}, 11, "inserted", 10},
		{"truncate the end", []string{`DELETE FROM audit_log WHERE seq >= 9`}, 9, "truncated", 8},
		{"delete the head", []string{`DELETE FROM audit_head`}, 0, "head", 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.db")
			v, keys := openVault(t, path)
			appendEntries(t, v, 10)
			v.DB().Close()
			tamper(t, path, c.stmts...)
			for _, k := range []*crypt.Keyring{nil, keys} {
				rep := verify(t, path, k)
				if rep.Intact() {
					t.Fatalf("tampering not found (keys %v)", k != nil)
				}
				p := rep.Problems[0]
				if p.Seq != c.wantSeq || p.Kind != c.wantKind {
					t.Errorf("first problem %v, want entry %d %s (all: %v)", p, c.wantSeq, c.wantKind, rep.Problems)
				}
				if rep.LastSeq != c.lastGood {
					t.Errorf("last verified entry %d, want %d", rep.LastSeq, c.lastGood)
				}
			}
		})
	}
}

// TestAuditRewriteNeedsTheKeys: someone who knows the hashing scheme can
// rewrite an entry and recompute every hash after it and the head. Without
// the keys that is invisible (and VerifyAudit says it did not check the
// seal); with them the head's seal gives it away.
func TestAuditRewriteNeedsTheKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	v, keys := openVault(t, path)
	appendEntries(t, v, 6)
	v.DB().Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, path, `UPDATE audit_log SET action = 'nothing.happened' WHERE seq = 2`)
	// Recompute the chain from entry 2 on, as a forger would.
	prev := make([]byte, 32)
	rows, err := db.Query(`SELECT seq, ` + auditFields + ` FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type fixed struct {
		seq  int64
		prev []byte
		hash []byte
	}
	var fixes []fixed
	for rows.Next() {
		var seq int64
		var f [10]string
		if err := rows.Scan(&seq, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9]); err != nil {
			t.Fatal(err)
		}
		h := hashAuditEntry(seq, prev, f)
		fixes = append(fixes, fixed{seq, prev, h})
		prev = h
	}
	rows.Close()
	for _, f := range fixes {
		if _, err := db.Exec(`UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?`, f.prev, f.hash, f.seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE audit_head SET hash = ?`, prev); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if rep := verify(t, path, nil); !rep.Intact() || rep.HeadSealChecked {
		t.Fatalf("without keys: %+v (a full rewrite is expected to pass unseen, and to say so)", rep)
	}
	rep := verify(t, path, keys)
	if rep.Intact() || rep.Problems[0].Kind != "head" {
		t.Fatalf("with keys the rewrite went unseen: %+v", rep)
	}
}

// TestAuditConcurrentAppendsNeverFork appends from many goroutines and from
// two separate connections pools (as two processes would) at once.
func TestAuditConcurrentAppendsNeverFork(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	v1, keys := openVault(t, path)
	v2 := openVaultWith(t, path, keys)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := v1
			if g%2 == 1 {
				v = v2
			}
			for i := range 25 {
				if _, err := v.Audit(ctx, AuditEntry{Actor: SystemActor, Action: "test.append", ObjectID: fmt.Sprintf("%d/%d", g, i)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep := verify(t, path, keys)
	if !rep.Intact() || rep.Entries != 200 || rep.HeadSeq != 200 {
		t.Fatalf("after concurrent appends: %+v", rep)
	}
}
