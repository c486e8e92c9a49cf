package ocrb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"checkpost/devices/sim"
)

// CacheDirEnv names the environment variable that overrides the cache
// folder.
const CacheDirEnv = "CHECKPOST_CACHE_DIR"

// DefaultCacheDir is where trained models are kept: $CHECKPOST_CACHE_DIR,
// else checkpost/ in the user's cache folder (~/.cache on Linux).
func DefaultCacheDir() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("ocrb: no cache folder (set %s): %w", CacheDirEnv, err)
	}
	return filepath.Join(d, "checkpost"), nil
}

// CachePath is the file in dir that holds the model trained with cfg on
// the installed OCR-B font: its name carries a hash of the config, the
// generator and network versions and the font's outlines, so that a
// change of any of them trains a new model instead of reusing a stale one.
func CachePath(dir string, cfg TrainConfig) (string, error) {
	font, err := sim.LoadOCRB()
	if err != nil {
		return "", fmt.Errorf("ocrb: %w", err)
	}
	h := sha256.New()
	h.Write(cfg.encode())
	fmt.Fprintf(h, "net %d %dx%d %d %d;", modelVersion, CellW, CellH, Hidden, NumClasses)
	d := font.Digest()
	h.Write(d[:])
	return filepath.Join(dir, "ocrb-"+hex.EncodeToString(h.Sum(nil)[:10])+".model"), nil
}

// LoadOrTrain returns the model for cfg from the cache folder dir, or
// trains it (minutes on a small machine) and stores it there, written to
// a temporary file and renamed so that a concurrent reader never sees
// half a file. trained says which happened. A damaged cache file is
// replaced; a cache folder that cannot be written is an error after
// training (the model is still returned).
func LoadOrTrain(ctx context.Context, dir string, cfg TrainConfig, progress Progress) (m *Model, trained bool, err error) {
	path, err := CachePath(dir, cfg)
	if err != nil {
		return nil, false, err
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		m = new(Model)
		if uerr := m.UnmarshalBinary(data); uerr == nil && m.Config == cfg {
			return m, false, nil
		}
		// Damaged or of another config under this name: train again.
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("ocrb: reading the cached model: %w", err)
	}
	m, err = Train(ctx, cfg, progress)
	if err != nil {
		return nil, false, err
	}
	if err := save(path, m); err != nil {
		return m, true, err
	}
	return m, true, nil
}

func save(path string, m *Model) error {
	data, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("ocrb: cache folder: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".ocrb-*.tmp")
	if err != nil {
		return fmt.Errorf("ocrb: cache: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("ocrb: writing the cached model: %w", err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("ocrb: cache: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("ocrb: cache: %w", err)
	}
	return nil
}
