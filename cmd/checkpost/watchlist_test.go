package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/engine/watchlist"
	"checkpost/server/store"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnrollDocumentAndPerson(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	docs := writeTemp(t, "docs.csv", "issuer,number,reason,authority,reported\nPAK,AB0123456,stolen,FIA Islamabad,2024-03-01\nD,C01X00T47,lost,\"Stadt Köln\",\n")
	code, out, errOut := run(t, "enroll", "document", "--db", db, docs)
	if code != 0 || !strings.Contains(out, "2 records, 2 added, 0 updated") {
		t.Fatalf("enroll document: exit %d, out %q, err %q", code, out, errOut)
	}
	persons := writeTemp(t, "p.csv", "ref,list,surname,given_names,birth_date,nationality,reason\nFIA-1,trafficker,KHAN,MUHAMMAD ALI,1980-03-14,PAK,smuggling\n")
	code, out, errOut = run(t, "enroll", "person", persons, "--db", db)
	if code != 0 || !strings.Contains(out, "1 records, 1 added") {
		t.Fatalf("enroll person: exit %d, out %q, err %q", code, out, errOut)
	}

	ctx := context.Background()
	d, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	docIdx := watchlist.NewDocumentIndex()
	if err := d.LoadDocuments(ctx, docIdx, nil); err != nil {
		t.Fatal(err)
	}
	if hit, ok := docIdx.Lookup("PAK", "ABO123456"); !ok || hit.Entry.Authority != "FIA Islamabad" {
		t.Fatalf("enrolled document not found: %+v, %v", hit, ok)
	}
	personIdx := watchlist.NewPersonIndex()
	if err := d.LoadPersons(ctx, personIdx, nil); err != nil {
		t.Fatal(err)
	}
	if hits := personIdx.Screen(watchlist.PersonQuery{Primary: "KHAN", Secondary: "MOHAMMED ALI"}); len(hits) != 1 {
		t.Fatalf("enrolled person not found: %+v", hits)
	}
}

func TestEnrollBadFileNamesLinesAndImportsNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	bad := writeTemp(t, "bad.csv", "issuer,number,reason,authority\nPAK,AB1,stolen,FIA\nPAK,AB#2,stolen,FIA\nPAK,AB3,,FIA\n")
	code, out, errOut := run(t, "enroll", "document", "--db", db, bad)
	if code != 1 || out != "" || !strings.Contains(errOut, "line 3: bad document number") || !strings.Contains(errOut, "line 4:") || !strings.Contains(errOut, "nothing imported") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n, _ := d.CountDocuments(context.Background()); n != 0 {
		t.Fatalf("%d documents imported from a bad file", n)
	}
	code, _, errOut = run(t, "enroll", "person", "--db", db, writeTemp(t, "h.csv", "name,list\n"))
	if code != 1 || !strings.Contains(errOut, `unknown column "name"`) {
		t.Fatalf("bad header: exit %d, err %q", code, errOut)
	}
	if code, _, _ := run(t, "enroll", "document", "--db", db); code != 2 {
		t.Fatalf("no file: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "enroll", "document", "--db", db, filepath.Join(t.TempDir(), "missing.csv")); code != 1 {
		t.Fatalf("missing file: exit %d, want 1", code)
	}
}

func TestEnrollFromStandardInput(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	var out, errb strings.Builder
	env := &cliEnv{Stdin: strings.NewReader("issuer,number,reason,authority\nGBR,123456789,revoked,HMPO\n"), Stdout: &out, Stderr: &errb}
	if code := execute(context.Background(), env, []string{"enroll", "document", "--db", db, "--source", "daily", "-"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "imported daily: 1 records") {
		t.Fatalf("out %q", out.String())
	}
}

func TestBenchWatchlistSmall(t *testing.T) {
	code, out, errOut := run(t, "bench", "watchlist", "--only", "documents,persons", "--documents", "20000", "--documents-lookups", "10000",
		"--persons-listed", "500", "--persons-mates", "200", "--persons-impostors", "200", "--persons-large", "5000", "--persons-probes", "50")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"== documents", "bytes per listed document", "lookup time: mean", "== persons", "recall", "precision", "impostors with a hit", "screening 50 mates"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := run(t, "bench", "watchlist", "--only", "nonsense"); code != 2 {
		t.Fatalf("--only nonsense: exit %d, want 2", code)
	}
}
