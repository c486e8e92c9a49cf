package main

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(context.Background(), &cliEnv{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := run(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range []string{"serve", "version", "token"} {
		if !strings.Contains(out, "\n  "+c) {
			t.Errorf("--help does not list %q:\n%s", c, out)
		}
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	var walk func(c *command)
	walk = func(c *command) {
		if c.Run != nil {
			code, out, errOut := run(t, append(strings.Fields(c.Path), "--help")...)
			if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "Flags:") {
				t.Errorf("%q --help: exit %d, out %q, err %q", c.Path, code, out, errOut)
			}
			if c.Summary == "" || c.Usage == "" || c.Help == "" {
				t.Errorf("%q lacks a summary, usage or help text", c.Path)
			}
		}
		for _, ch := range c.children {
			if ch.Summary == "" {
				t.Errorf("%q has no summary", ch.Path)
			}
			walk(ch)
		}
	}
	walk(root)
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	code, _, errOut := run(t, "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, "version", "--bogus")
	if code != 2 || !strings.Contains(errOut, "bogus") {
		t.Fatalf("bad flag: exit %d, stderr %q", code, errOut)
	}
}

func TestVersionNamesLibraries(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, lib := range []string{"checkpost", "OpenCV", "Tesseract", "MuPDF"} {
		if !strings.Contains(out, lib) {
			t.Errorf("version output lacks %s:\n%s", lib, out)
		}
	}
}

func TestTokenCreatePrintsTokenLast(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	code, out, errOut := run(t, "token", "create", "--db", db, "--role", "counter", "--name", "counter 1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "cpt_") || strings.ContainsAny(last, " \t") {
		t.Fatalf("last line %q is not a bare token", last)
	}
	if code, _, _ := run(t, "token", "create", "--db", db, "--role", "emperor", "--name", "x"); code != 2 {
		t.Fatalf("unknown role: exit %d, want 2", code)
	}
}

func TestLogFlags(t *testing.T) {
	if code, _, _ := run(t, "version", "--log-format", "xml"); code != 2 {
		t.Fatalf("--log-format xml: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "version", "--log-format", "json", "--log-level", "debug"); code != 0 {
		t.Fatalf("json/debug: exit %d", code)
	}
}

func TestParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	j := fs.Bool("json", false, "")
	n := fs.Int("n", 0, "")
	got, err := parseInterspersed(fs, []string{"a", "--json", "b", "-n", "3", "--", "--c"})
	if err != nil {
		t.Fatal(err)
	}
	if !*j || *n != 3 || strings.Join(got, ",") != "a,b,--c" {
		t.Fatalf("json=%v n=%d args=%q", *j, *n, got)
	}
}
