package store

import (
	"checkpost/server/crypt"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkCreateVerification stores a verification the size of a 300-ppi
// three-light passport capture from "checkpost simulate" as PNG (white
// 2.2 MB, IR 0.3 MB, UV 1.5 MB) with two finger images (2 x 100 kB):
// encryption, one transaction with its audit entry, fsync.
func BenchmarkCreateVerification(b *testing.B) {
	v := benchVault(b)
	nv := sampleVerification()
	nv.Evidence = nil
	sizes := map[string]int{"white": 2200 << 10, "ir": 300 << 10, "uv": 1500 << 10}
	total := 0
	for _, name := range []string{"white", "ir", "uv"} {
		nv.Evidence = append(nv.Evidence, EvidenceInput{Name: name, Kind: KindDocumentImage, ContentType: "image/png", Data: randomBytes(sizes[name])})
		total += sizes[name]
	}
	for _, name := range []string{"finger.1", "finger.2"} {
		nv.Evidence = append(nv.Evidence, EvidenceInput{Name: name, Kind: KindFingerImage, ContentType: "image/png", Data: randomBytes(100 << 10)})
	}
	b.SetBytes(int64(total + 200<<10))
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.CreateVerification(context.Background(), nv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditAppend is one audit entry in its own transaction.
func BenchmarkAuditAppend(b *testing.B) {
	v := benchVault(b)
	e := AuditEntry{Actor: SystemActor, Action: "bench.append", ObjectType: "x", ObjectID: "y", Details: map[string]string{"a": "b"}}
	for b.Loop() {
		if _, err := v.Audit(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
}

func benchVault(b *testing.B) *Vault {
	b.Helper()
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	keys, _ := crypt.Generate()
	v, err := NewVault(context.Background(), db, keys)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func randomBytes(n int) []byte {
	p := make([]byte, n)
	rand.Read(p)
	return p
}

// BenchmarkVerifyAudit walks a chain of 50,000 entries; ns/op / 50,000 is
// the cost per entry of "checkpost audit verify".
func BenchmarkVerifyAudit(b *testing.B) {
	v := benchVault(b)
	ctx := context.Background()
	const n = 50000
	err := v.WriteTx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			if _, err := v.AuditTx(ctx, tx, AuditEntry{Actor: SystemActor, Action: "bench.append", ObjectID: fmt.Sprint(i),
				Details: map[string]string{"recommendation": "CLEAR"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := v.DB().VerifyAudit(ctx, nil, nil)
		if err != nil || !rep.Intact() || rep.Entries != n {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}
