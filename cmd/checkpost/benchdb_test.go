package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/match"
	"checkpost/biometric/watchlist/synth"
	"checkpost/engine/watchlist"
	wsynth "checkpost/engine/watchlist/synth"
	"checkpost/server/store"
)

type docSlice struct {
	e []watchlist.DocumentEntry
	i int
}

func (s *docSlice) Next() (watchlist.DocumentEntry, error) {
	if s.i >= len(s.e) {
		return watchlist.DocumentEntry{}, io.EOF
	}
	s.i++
	return s.e[s.i-1], nil
}

type personSlice struct {
	e []watchlist.Person
	i int
}

func (s *personSlice) Next() (watchlist.Person, error) {
	if s.i >= len(s.e) {
		return watchlist.Person{}, io.EOF
	}
	s.i++
	return s.e[s.i-1], nil
}

// TestMakeBenchDB fills a database for "checkpost bench api --db" (or a
// server it targets) with the list sizes, when
// CHECKPOST_BENCH_DB names a database file; it is skipped otherwise.
// CHECKPOST_BENCH_TEMPLATES (default 100,000: generated subjects with a
// right and a left index, biometric/watchlist/synth seed 1) and
// CHECKPOST_BENCH_DOCUMENTS (default 1,000,000, engine/watchlist/synth
// seed 1) set the sizes; 10,000 persons (seed 1) are added. The key file is
// made beside the database. About 4 minutes on two cores.
//
//	CHECKPOST_BENCH_DB=/tmp/bench/cp.db go test -run TestMakeBenchDB -timeout 1h ./cmd/checkpost
func TestMakeBenchDB(t *testing.T) {
	path := os.Getenv("CHECKPOST_BENCH_DB")
	if path == "" {
		t.Skip("set CHECKPOST_BENCH_DB to a database file to fill")
	}
	envN := func(name string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
			return n
		}
		return def
	}
	nt, nd := envN("CHECKPOST_BENCH_TEMPLATES", 100000), envN("CHECKPOST_BENCH_DOCUMENTS", 1000000)
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, _, err := loadKeys(ctx, db, "", true)
	if err != nil {
		t.Fatal(err)
	}
	v, err := store.NewVault(ctx, db, keys)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var docs []watchlist.DocumentEntry
	seen := map[string]bool{}
	wsynth.Documents(1, nd+nd/1000+10, func(e watchlist.DocumentEntry) {
		if k := e.Issuer + e.Number; !seen[k] && len(docs) < nd {
			seen[k] = true
			docs = append(docs, e)
		}
	})
	if _, err := db.ImportDocuments(ctx, "bench-synth-1", &docSlice{e: docs}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d documents in %s", len(docs), time.Since(start).Round(time.Millisecond))
	persons, _ := wsynth.List(1, 10000, 0)
	if _, err := db.ImportPersons(ctx, "bench-synth-persons-1", &personSlice{e: persons}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	gen := synth.New(1)
	const chunk = 5000
	for done := 0; done < nt; done += chunk {
		var batch []store.FingerprintEnrollment
		for i := done; i < min(nt, done+chunk); i += 2 {
			var fs []store.EnrolledFinger
			for k := range 2 {
				tm := gen.Template()
				tm.Position = biometric.Position(2 + 5*k) // right and left index
				p, err := match.Prepare(&tm)
				if err != nil {
					t.Fatal(err)
				}
				fs = append(fs, store.EnrolledFinger{Position: tm.Position, Template: tm, Prepared: p})
			}
			batch = append(batch, store.FingerprintEnrollment{Subject: fmt.Sprintf("SYN%07d", i/2), Fingers: fs})
		}
		if _, err := v.EnrollFingerprints(ctx, cliActor(), batch); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d templates in %s", nt, time.Since(start).Round(time.Millisecond))
}
