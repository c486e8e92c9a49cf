package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/match"
	"checkpost/biometric/native"
	"checkpost/biometric/watchlist"
	"checkpost/biometric/watchlist/synth"
	"checkpost/server/crypt"
)

var cliActor = Actor{Kind: "cli", Name: "test"}

func TestFingerprintsEnrolLoadRemove(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fp.db")
	v, keys := openVault(t, path)
	gen := synth.New(1)
	var srcs []biometric.Template
	var batch []FingerprintEnrollment
	for i := 0; i < 20; i++ {
		a, b := gen.Template(), gen.Template()
		srcs = append(srcs, a)
		batch = append(batch, FingerprintEnrollment{Subject: fmt.Sprintf("FIA-%d", i), Fingers: []EnrolledFinger{
			{Position: biometric.RightIndex, Template: a}, {Position: biometric.LeftIndex, Template: b}}})
	}
	ids, err := v.EnrollFingerprints(ctx, cliActor, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 40 {
		t.Fatalf("%d ids", len(ids))
	}
	if s, n, err := v.DB().CountFingerprints(ctx); err != nil || s != 20 || n != 40 {
		t.Fatalf("count: %d subjects, %d templates, %v", s, n, err)
	}
	// Sealed at rest: no stored blob holds the template in clear.
	rows, err := v.DB().QueryContext(ctx, `SELECT data FROM blobs WHERE kind = ?`, KindFingerTemplate)
	if err != nil {
		t.Fatal(err)
	}
	clear, _ := native.Encode(&srcs[0])
	for rows.Next() {
		var data []byte
		rows.Scan(&data)
		if bytes.Contains(data, []byte(native.Magic)) || bytes.Contains(data, clear[16:40]) {
			t.Fatal("a template is stored in clear")
		}
	}
	rows.Close()

	// A later start: a new process with the same keys loads the gallery.
	v2 := openVaultWith(t, path, keys)
	g := watchlist.NewGallery()
	var last int
	res, err := v2.LoadFingerprints(ctx, g, func(n int) { last = n })
	if err != nil {
		t.Fatal(err)
	}
	if res.Subjects != 20 || res.Templates != 40 || res.Reprepared != 0 || last != 40 {
		t.Fatalf("load: %+v, progress %d", res, last)
	}
	probe, _ := match.Prepare(ptr(gen.Distort(srcs[7])))
	sr, err := g.Search(ctx, []watchlist.Probe{{Position: biometric.RightIndex, Template: probe}}, watchlist.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Candidates[0].Subject != "FIA-7" || sr.Compared == 0 {
		t.Fatalf("search after load: %+v", sr.Candidates)
	}

	// Removal keeps the rows but the gallery no longer loads them.
	if err := v.RemoveFingerprintSubject(ctx, cliActor, "FIA-7"); err != nil {
		t.Fatal(err)
	}
	if err := v.RemoveFingerprintSubject(ctx, cliActor, "FIA-7"); !errors.Is(err, watchlist.ErrNoSubject) {
		t.Errorf("second removal: %v", err)
	}
	g = watchlist.NewGallery()
	if res, err := v.LoadFingerprints(ctx, g, nil); err != nil || res.Subjects != 19 || res.Templates != 38 || g.Has("FIA-7") {
		t.Fatalf("after removal: %+v %v", res, err)
	}
	var kept int
	v.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM fingerprint_templates WHERE subject = 'FIA-7'`).Scan(&kept)
	if kept != 2 {
		t.Errorf("removal deleted rows: %d left", kept)
	}
	// Enrolled again: only the new finger.
	if _, err := v.EnrollFingerprints(ctx, cliActor, []FingerprintEnrollment{{Subject: "FIA-7", Fingers: []EnrolledFinger{{Position: biometric.RightThumb, Template: srcs[7]}}}}); err != nil {
		t.Fatal(err)
	}
	g = watchlist.NewGallery()
	if _, err := v.LoadFingerprints(ctx, g, nil); err != nil {
		t.Fatal(err)
	}
	if fs, err := g.Fingers("FIA-7"); err != nil || len(fs) != 1 || fs[0] != biometric.RightThumb {
		t.Errorf("re-enrolled subject: %v %v", fs, err)
	}
	// Every change is in the audit log, and the chain holds.
	var n int
	v.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'fingerprint.%'`).Scan(&n)
	if n != 3 {
		t.Errorf("%d fingerprint audit entries, want 3", n)
	}
	rep, err := v.DB().VerifyAudit(ctx, v.sealHead, nil)
	if err != nil || !rep.Intact() {
		t.Errorf("audit chain: %v %+v", err, rep)
	}
}

func TestFingerprintsRejectBadInput(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, filepath.Join(t.TempDir(), "fp.db"))
	good := synth.New(2).Template()
	few := good
	few.Minutiae = few.Minutiae[:2]
	for name, b := range map[string][]FingerprintEnrollment{
		"bad id":       {{Subject: "", Fingers: []EnrolledFinger{{Template: good}}}},
		"no fingers":   {{Subject: "A"}},
		"bad position": {{Subject: "A", Fingers: []EnrolledFinger{{Position: 12, Template: good}}}},
		"too few":      {{Subject: "A", Fingers: []EnrolledFinger{{Template: good}}}, {Subject: "B", Fingers: []EnrolledFinger{{Template: few}}}},
	} {
		if _, err := v.EnrollFingerprints(ctx, cliActor, b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if s, _, _ := v.DB().CountFingerprints(ctx); s != 0 {
		t.Errorf("a rejected batch stored %d subjects", s)
	}
}

func TestEnrolledFormatChangeReprepares(t *testing.T) {
	src := synth.New(3).Template()
	f := EnrolledFinger{Template: src}
	b, err := encodeEnrolled(&f)
	if err != nil {
		t.Fatal(err)
	}
	var got match.Template
	if stale, err := decodeEnrolled(b, &got); err != nil || stale || got != *f.Prepared {
		t.Fatalf("current format: stale %v, %v", stale, err)
	}
	// The same record written by a matcher of another format: prepared
	// again from the source template.
	id := match.FormatID()
	other := bytes.Replace(b, []byte(id), bytes.Repeat([]byte("x"), len(id)), 1)
	if stale, err := decodeEnrolled(other, &got); err != nil || !stale || got != *f.Prepared {
		t.Fatalf("other format: stale %v, %v", stale, err)
	}
	for i := 0; i < len(b); i += 7 {
		if _, err := decodeEnrolled(b[:i], &got); err == nil {
			t.Errorf("truncated to %d bytes: accepted", i)
		}
	}
}

func FuzzDecodeEnrolled(f *testing.F) {
	fg := EnrolledFinger{Template: synth.New(4).Template()}
	b, _ := encodeEnrolled(&fg)
	f.Add(b)
	f.Add([]byte("CPEF\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var x match.Template
		decodeEnrolled(data, &x)
	})
}

func ptr[T any](v T) *T { return &v }

// BenchmarkLoadFingerprints loads a gallery of 50,000 sealed templates
// (the target: a million in at most 10 s, 100,000 per second);
// CHECKPOST_BENCH_LOAD_N sets another size (1000000 for the target itself:
// a 3 GB database, minutes to build).
func BenchmarkLoadFingerprints(b *testing.B) {
	n := 50_000
	if v, err := strconv.Atoi(os.Getenv("CHECKPOST_BENCH_LOAD_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	keys, _ := crypt.Generate()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "fp.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	v, err := NewVault(ctx, db, keys)
	if err != nil {
		b.Fatal(err)
	}
	gen := synth.New(9)
	var pool []EnrolledFinger
	for i := 0; i < 256; i++ {
		t := gen.Template()
		p, _ := match.Prepare(&t)
		pool = append(pool, EnrolledFinger{Template: t, Prepared: p})
	}
	for start := 0; start < n; start += 5000 {
		var batch []FingerprintEnrollment
		for i := start; i < min(n, start+5000); i++ {
			batch = append(batch, FingerprintEnrollment{Subject: fmt.Sprintf("gen-%08d", i), Fingers: []EnrolledFinger{pool[i%len(pool)]}})
		}
		if _, err := v.EnrollFingerprints(ctx, cliActor, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := watchlist.NewGallery()
		res, err := v.LoadFingerprints(ctx, g, nil)
		if err != nil || res.Templates != n {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "templates/s")
}

// TestLoadWritesBackReprepared: templates stored by a matcher of another
// format are prepared again at a load and stored back, so the next load
// reads them as they are; the source template is kept.
func TestLoadWritesBackReprepared(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fp.db")
	v, keys := openVault(t, path)
	gen := synth.New(5)
	var batch []FingerprintEnrollment
	for i := 0; i < 6; i++ {
		batch = append(batch, FingerprintEnrollment{Subject: fmt.Sprintf("S-%d", i), Fingers: []EnrolledFinger{{Position: biometric.RightThumb, Template: gen.Template()}}})
	}
	if _, err := v.EnrollFingerprints(ctx, cliActor, batch); err != nil {
		t.Fatal(err)
	}
	// Age every stored form: another matcher format id, sealed again.
	rows, err := v.DB().QueryContext(ctx, `SELECT id, kind, data FROM blobs WHERE kind = ?`, KindFingerTemplate)
	if err != nil {
		t.Fatal(err)
	}
	type blob struct {
		id, kind string
		data     []byte
	}
	var aged []blob
	id := match.FormatID()
	for rows.Next() {
		var b blob
		if err := rows.Scan(&b.id, &b.kind, &b.data); err != nil {
			t.Fatal(err)
		}
		pt, err := keys.Open(b.data, blobAAD(b.id, b.kind))
		if err != nil {
			t.Fatal(err)
		}
		pt = bytes.Replace(pt, []byte(id), bytes.Repeat([]byte("x"), len(id)), 1)
		if b.data, err = keys.Seal(pt, blobAAD(b.id, b.kind)); err != nil {
			t.Fatal(err)
		}
		aged = append(aged, b)
	}
	rows.Close()
	for _, b := range aged {
		if _, err := v.DB().ExecContext(ctx, `UPDATE blobs SET data = ? WHERE id = ?`, b.data, b.id); err != nil {
			t.Fatal(err)
		}
	}
	for round, want := range []int{6, 0} {
		v2 := openVaultWith(t, path, keys)
		res, err := v2.LoadFingerprints(ctx, watchlist.NewGallery(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Templates != 6 || res.Reprepared != want || res.Rewritten != want || res.WriteBackErr != nil {
			t.Fatalf("load %d: %+v, want %d re-prepared and rewritten", round+1, res, want)
		}
	}
}
