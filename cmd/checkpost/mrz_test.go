package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(context.Background(), &cliEnv{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

const (
	mrzTD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n"
	mrzTD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n"
	// The TD3 specimen with a wrong birth-date check digit.
	mrzBad = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408123F1204159ZE184226B<<<<<10\n"
)

func TestMRZParseJSON(t *testing.T) {
	code, out, errOut := runStdin(t, mrzTD3+"\n\n"+mrzTD1, "mrz", "parse", "--json", "--reference-date", "2010-01-01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines:\n%s", len(lines), out)
	}
	var doc struct {
		Format string `json:"format"`
		Valid  bool   `json:"valid"`
		Fields map[string]struct {
			Value string `json:"value"`
			Valid bool   `json:"valid"`
			Span  struct{ Line, Start, End int }
		} `json:"fields"`
		Errors   []map[string]any `json:"errors"`
		Warnings []struct{ Code string }
	}
	if err := json.Unmarshal([]byte(lines[0]), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Format != "TD3" || !doc.Valid || doc.Fields["document_number"].Value != "L898902C3" || doc.Fields["given_names"].Value != "ANNA MARIA" ||
		len(doc.Errors) != 0 || doc.Fields["birth_date"].Span.Start != 13 {
		t.Fatalf("%+v", doc)
	}
	if err := json.Unmarshal([]byte(lines[1]), &doc); err != nil || doc.Format != "TD1" {
		t.Fatalf("%v %+v", err, doc)
	}
}

func TestMRZParseInvalid(t *testing.T) {
	code, out, _ := runStdin(t, mrzTD3+"\n"+mrzBad, "mrz", "parse", "--json")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var doc struct {
		Valid  bool
		Errors []struct{ Field, Code string }
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[1]), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Valid || len(doc.Errors) != 2 || doc.Errors[0].Field != "birth_date_check" || doc.Errors[0].Code != "check_digit" {
		t.Fatalf("%+v", doc)
	}
	// Not an MRZ at all: a JSON object with format UNKNOWN, exit 1.
	code, out, _ = runStdin(t, "hello world\n", "mrz", "parse", "--json")
	if code != 1 || !strings.Contains(out, `"format":"UNKNOWN"`) || !strings.Contains(out, "not_mrz") {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func TestMRZParseTable(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "zones.txt")
	if err := os.WriteFile(f, []byte(mrzBad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "mrz", "parse", f)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"TD3, INVALID", "birth_date_check", "ERROR check_digit (expected 2)", "line 2, position 20", "warning: specimen"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestMRZParseRepair(t *testing.T) {
	garbled := "P<UT0ERIK55ON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<\nL898902C36UTO740BIZZF12041S9ZE184226B<<<<<1O\n"
	if code, _, _ := runStdin(t, garbled, "mrz", "parse"); code != 1 {
		t.Fatalf("garbled without --repair: exit %d", code)
	}
	code, out, errOut := runStdin(t, garbled, "mrz", "parse", "--repair", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var doc struct {
		Valid       bool
		Lines       []string
		Corrections []struct {
			Line, Column int
			From, To     string
			Reason       string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Valid || doc.Lines[1] != "L898902C36UTO7408122F1204159ZE184226B<<<<<10" || len(doc.Corrections) != 10 {
		t.Fatalf("%+v", doc)
	}
}

func TestMRZParseUsage(t *testing.T) {
	for _, args := range [][]string{
		{"mrz", "parse", "/nonexistent/file"},
		{"mrz", "parse", "--reference-date", "yesterday"},
		{"mrz", "parse", "--bogus"},
	} {
		if code, _, errOut := runStdin(t, mrzTD3, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, _, _ := runStdin(t, "\n\n", "mrz", "parse"); code != 2 {
		t.Errorf("empty input: exit %d", code)
	}
}
