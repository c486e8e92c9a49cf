// Package shareddata finds the real reference data that lives beside the
// project in ../shared/data (fingerprints, WSQ, templates, scans, MRZ
// vectors and images). The data is never copied into the repository.
//
// Tests call Dir or Path: where the data is absent (a user's fresh clone)
// the test is skipped with a message; where CI=true it fails instead, so
// that CI never passes by skipping.
package shareddata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvVar names the variable that overrides the data's location.
const EnvVar = "CHECKPOST_SHARED_DATA"

// Locate returns the shared data folder and whether it exists: $CHECKPOST_SHARED_DATA,
// or ../shared/data beside the repository's root.
func Locate() (string, bool) {
	if d := os.Getenv(EnvVar); d != "" {
		return d, isDir(d)
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", false
	}
	// file is <root>/internal/shareddata/shareddata.go
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	d := filepath.Join(filepath.Dir(root), "shared", "data")
	return d, isDir(d)
}

// Dir returns the shared data folder, or skips (fails under CI=true) the
// test when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, ok := Locate()
	if !ok {
		missing(tb, d)
	}
	return d
}

// Path returns the file or folder rel inside the shared data, or skips
// (fails under CI=true) the test when it is absent.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Dir(tb), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(tb, p)
	}
	return p
}

func missing(tb testing.TB, p string) {
	tb.Helper()
	msg := "shared reference data not found at " + p + " (set " + EnvVar + " or place it at ../shared/data)"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg + ": required when CI=true")
	}
	tb.Skip(msg)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
