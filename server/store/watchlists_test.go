package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/engine/watchlist"
)

func importDocumentsCSV(t *testing.T, db *DB, source, csv string) (ImportResult, error) {
	t.Helper()
	c, err := watchlist.NewDocumentCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return db.ImportDocuments(context.Background(), source, c)
}

func importPersonsCSV(t *testing.T, db *DB, source, csv string) (ImportResult, error) {
	t.Helper()
	c, err := watchlist.NewPersonCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return db.ImportPersons(context.Background(), source, c)
}

func TestDocumentsPersistAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := importDocumentsCSV(t, db, "sltd-2024-03.csv", "issuer,number,reason,authority,reported\n"+
		"PAK,AB0123456,stolen,FIA Islamabad,2024-03-01\n"+
		"D,C01X00T47,lost,\"Stadt Köln, Bürgeramt\",\n"+
		"GBR,123456789,revoked,HMPO,2023\n")
	if err != nil || res.Added != 3 || res.Updated != 0 || res.Records != 3 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	x := watchlist.NewDocumentIndex()
	var progressed int
	if err := db.LoadDocuments(ctx, x, func(n int) { progressed = n }); err != nil {
		t.Fatal(err)
	}
	if x.Len() != 3 || progressed != 3 {
		t.Fatalf("loaded %d (progress %d), want 3", x.Len(), progressed)
	}
	hit, ok := x.Lookup("PAK", "ABO123456")
	if !ok || hit.Exact || hit.Entry.Reason != "stolen" || hit.Entry.Authority != "FIA Islamabad" || hit.Entry.Reported != (watchlist.PartialDate{Year: 2024, Month: 3, Day: 1}) {
		t.Fatalf("after reload, PAK ABO123456 = %+v, %v", hit, ok)
	}
	hit, ok = x.Lookup("D<<", "C01X00T47")
	if !ok || hit.Entry.Authority != "Stadt Köln, Bürgeramt" {
		t.Fatalf("D C01X00T47 = %+v, %v", hit, ok)
	}
	if hit, _ := x.Lookup("GBR", "123456789"); hit.Entry.Reported != (watchlist.PartialDate{Year: 2023}) {
		t.Fatalf("partial reported date lost: %+v", hit.Entry)
	}

	// A later import updates one document; the old values are kept in the history.
	res, err = importDocumentsCSV(t, db, "sltd-2024-04.csv", "issuer,number,reason,authority\nPAK,AB0123456,revoked,Passport Office\nIND,Z1234567,lost,MEA\n")
	if err != nil || res.Added != 1 || res.Updated != 1 {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	var oldReason string
	if err := db.QueryRow(`SELECT reason FROM lost_documents_history WHERE number = 'AB0123456' AND change = 'update'`).Scan(&oldReason); err != nil || oldReason != "stolen" {
		t.Fatalf("history of the update: %q, %v", oldReason, err)
	}
	if err := db.RemoveDocument(ctx, "PAK", "AB0123456"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveDocument(ctx, "PAK", "AB0123456"); !errors.Is(err, ErrDocumentNotListed) {
		t.Fatalf("second removal: %v", err)
	}
	if n, err := db.CountDocuments(ctx); err != nil || n != 3 {
		t.Fatalf("CountDocuments = %d, %v; want 3", n, err)
	}
	var kept int
	db.QueryRow(`SELECT COUNT(*) FROM lost_documents_history WHERE number = 'AB0123456'`).Scan(&kept)
	if kept != 2 {
		t.Fatalf("history rows of the removed document: %d, want 2", kept)
	}
}

func TestDocumentImportWithBadLinesImportsNothing(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	_, err := importDocumentsCSV(t, db, "bad.csv", "issuer,number,reason,authority\n"+
		"PAK,AB1,stolen,FIA\n"+
		"PAK,AB#2,stolen,FIA\n"+ // line 3
		"PAK,AB3,stolen,FIA\n"+
		"PAK,AB1,lost,FIA\n"+ // line 5: same document as line 2
		"PAKK,AB5,stolen,FIA\n") // line 6
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *ImportError", err)
	}
	if ie.Bad != 3 || len(ie.Lines) != 3 || ie.Lines[0].Line != 3 || ie.Lines[1].Line != 5 || ie.Lines[2].Line != 6 {
		t.Fatalf("bad lines %+v", ie)
	}
	if !strings.Contains(err.Error(), "bad.csv: line 3:") || !strings.Contains(err.Error(), "nothing imported") {
		t.Fatalf("message %q", err)
	}
	if n, _ := db.CountDocuments(ctx); n != 0 {
		t.Fatalf("%d documents imported from a bad file", n)
	}
	var imports int
	db.QueryRow(`SELECT COUNT(*) FROM watchlist_imports`).Scan(&imports)
	if imports != 0 {
		t.Fatalf("an import record was left behind: %d", imports)
	}

	// A file whose only fault is a repeated document.
	_, err = importDocumentsCSV(t, db, "dup.csv", "issuer,number,reason,authority\nPAK,AB1,stolen,FIA\nPAK,AB2,stolen,FIA\nPAK,ab1,lost,FIA\n")
	if !errors.As(err, &ie) || ie.Bad != 1 || ie.Lines[0].Line != 4 || !strings.Contains(ie.Lines[0].Error(), "already on line 2") {
		t.Fatalf("duplicate: %v", err)
	}
	if n, _ := db.CountDocuments(ctx); n != 0 {
		t.Fatalf("%d documents imported from a file with a duplicate", n)
	}
}

func TestPersonsPersistAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := importPersonsCSV(t, db, "fia.csv", "ref,list,surname,given_names,aliases,original_surname,original_given_names,birth_date,nationality,reason\n"+
		"FIA-112,trafficker,KHAN,MUHAMMAD ALI,\"BHATTI, ALI\",خان,محمد علي,1980-03-14,PAK,people smuggling\n"+
		",wanted,HUSAIN,AHMED RAZA,,,,1975,PAK,arrest warrant\n"+
		"ECL-9,exit-control,AL-HASHIMI,ABDUL RAHMAN,,,,,IRQ,court order\n")
	if err != nil || res.Added != 3 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	x := watchlist.NewPersonIndex()
	if err := db.LoadPersons(ctx, x, nil); err != nil {
		t.Fatal(err)
	}
	if x.Len() != 3 {
		t.Fatalf("loaded %d persons", x.Len())
	}
	hits := x.Screen(watchlist.PersonQuery{Primary: "KHAN", Secondary: "MOHAMMED ALI", BirthDate: watchlist.PartialDate{Year: 80, Month: 3, Day: 14}, Nationality: "PAK"})
	if len(hits) == 0 {
		t.Fatal("KHAN<<MOHAMMED<ALI not found after reload")
	}
	p := hits[0].Person
	if p.Ref != "FIA-112" || p.List != "trafficker" || p.Reason != "people smuggling" || len(p.Names) != 2 ||
		p.Names[1] != (watchlist.PersonName{Primary: "BHATTI", Secondary: "ALI"}) || p.Names[0].OriginalPrimary != "خان" ||
		p.BirthDate != (watchlist.PartialDate{Year: 1980, Month: 3, Day: 14}) {
		t.Fatalf("person after reload: %+v", p)
	}
	if hits := x.Screen(watchlist.PersonQuery{Primary: "HUSSAIN", Secondary: "AHMAD RAZA", BirthDate: watchlist.PartialDate{Year: 75, Month: 6, Day: 1}}); len(hits) == 0 || hits[0].Person.BirthDate != (watchlist.PartialDate{Year: 1975}) {
		t.Fatalf("partial birth date after reload: %+v", hits)
	}

	// Re-importing a ref replaces the person; the old row stays, removed.
	res, err = importPersonsCSV(t, db, "fia-2.csv", "ref,list,surname,given_names,reason\nFIA-112,trafficker,KHAN,MUHAMMAD ALI RAZA,people smuggling; case reopened\n")
	if err != nil || res.Updated != 1 || res.Added != 0 {
		t.Fatalf("re-import: %+v, %v", res, err)
	}
	if n, _ := db.CountPersons(ctx); n != 3 {
		t.Fatalf("CountPersons = %d, want 3", n)
	}
	var rows int
	db.QueryRow(`SELECT COUNT(*) FROM watchlist_persons WHERE ref = 'FIA-112'`).Scan(&rows)
	if rows != 2 {
		t.Fatalf("rows for FIA-112: %d, want 2 (the old one kept)", rows)
	}
	y := watchlist.NewPersonIndex()
	if err := db.LoadPersons(ctx, y, nil); err != nil {
		t.Fatal(err)
	}
	hits = y.Screen(watchlist.PersonQuery{Primary: "KHAN", Secondary: "MUHAMMAD ALI RAZA"})
	if len(hits) != 1 || hits[0].Person.Reason != "people smuggling; case reopened" || len(hits[0].Person.Names) != 1 {
		t.Fatalf("after re-import: %+v", hits)
	}
	if err := db.RemovePerson(ctx, hits[0].Person.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.RemovePerson(ctx, hits[0].Person.ID); !errors.Is(err, ErrPersonNotListed) {
		t.Fatalf("second removal: %v", err)
	}
	if n, _ := db.CountPersons(ctx); n != 2 {
		t.Fatalf("CountPersons after removal = %d", n)
	}
}

func TestPersonImportWithBadLinesImportsNothing(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	_, err := importPersonsCSV(t, db, "p.csv", "ref,list,surname,given_names,birth_date,reason\n"+
		"A1,wanted,KHAN,ALI,1980,r\n"+
		"A2,wanted,KHAN,ALI,1980-13,r\n"+ // line 3
		"A1,wanted,SHAH,ALI,,r\n") // line 4: A1 again
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Bad != 2 || ie.Lines[0].Line != 3 || ie.Lines[1].Line != 4 {
		t.Fatalf("err = %v", err)
	}
	_, err = importPersonsCSV(t, db, "p.csv", "ref,list,surname,given_names,birth_date,reason\nA1,wanted,KHAN,ALI,1980,r\nA1,wanted,SHAH,ALI,,r\n")
	if !errors.As(err, &ie) || ie.Bad != 1 || ie.Lines[0].Line != 3 || !strings.Contains(ie.Error(), "already on line 2") {
		t.Fatalf("duplicate ref: %v", err)
	}
	if n, _ := db.CountPersons(ctx); n != 0 {
		t.Fatalf("%d persons imported from bad files", n)
	}
}
