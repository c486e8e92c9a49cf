package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLocateHonoursEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvVar, dir)
	got, ok := Locate()
	if got != dir || !ok {
		t.Fatalf("Locate() = %q, %v; want %q, true", got, ok, dir)
	}
	t.Setenv(EnvVar, filepath.Join(dir, "absent"))
	if _, ok := Locate(); ok {
		t.Fatal("Locate() reports an absent folder as present")
	}
}

func TestPathFindsFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, dir)
	if got := Path(t, "x.txt"); got != filepath.Join(dir, "x.txt") {
		t.Fatalf("Path = %q", got)
	}
}
