package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNotFound is returned by Store.Get for an unknown profile.
var ErrNotFound = errors.New("profile: not found")

// Store keeps profiles as files in a folder: ID.json holds the current
// revision of each, and history/ID.rN.json every revision ever replaced,
// so that nothing stored is lost.
type Store struct {
	dir string
}

// OpenStore opens (and creates) the store in dir.
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("profile: no store folder given")
	}
	if err := os.MkdirAll(filepath.Join(dir, "history"), 0o755); err != nil {
		return nil, fmt.Errorf("profile: store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's folder.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(id string) string { return filepath.Join(s.dir, id+".json") }

// Get reads the current revision of profile id.
func (s *Store) Get(id string) (*Profile, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("profile: %q is not a profile id", id)
	}
	return readFile(s.path(id))
}

func readFile(path string) (*Profile, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if st.Size() > MaxEncodedSize {
		return nil, fmt.Errorf("profile: %s: %d bytes (limit %d)", path, st.Size(), MaxEncodedSize)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("profile: %s: %w", path, err)
	}
	p, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// List reads the current revision of every profile, ordered by id. A file
// that does not decode is reported with its name; the others are still
// returned.
func (s *Store) List() ([]*Profile, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	var out []*Profile
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") || !ValidID(strings.TrimSuffix(name, ".json")) {
			continue
		}
		p, err := readFile(filepath.Join(s.dir, name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, errors.Join(errs...)
}

// Put stores p as the next revision of its id (Revision is set: 1 for a
// new id, the current revision + 1 otherwise); the revision it replaces
// moves to the history folder first.
func (s *Store) Put(p *Profile) error {
	cur, err := s.Get(p.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		p.Revision = 1
	case err != nil:
		return fmt.Errorf("profile: the current revision of %s cannot be read, so it is not replaced: %w", p.ID, err)
	default:
		p.Revision = cur.Revision + 1
	}
	data, err := Encode(p)
	if err != nil {
		return err
	}
	if cur != nil {
		hist := filepath.Join(s.dir, "history", p.ID+".r"+strconv.Itoa(cur.Revision)+".json")
		if _, err := os.Stat(hist); err == nil {
			return fmt.Errorf("profile: %s already exists; refusing to overwrite history", hist)
		}
		old, err := os.ReadFile(s.path(p.ID))
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		if err := writeAtomic(hist, old); err != nil {
			return err
		}
	}
	return writeAtomic(s.path(p.ID), data)
}

// History lists the revisions of id kept in the history folder, oldest
// first.
func (s *Store) History(id string) ([]int, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("profile: %q is not a profile id", id)
	}
	m, err := filepath.Glob(filepath.Join(s.dir, "history", id+".r*.json"))
	if err != nil {
		return nil, err
	}
	var revs []int
	for _, f := range m {
		r := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), id+".r"), ".json")
		if n, err := strconv.Atoi(r); err == nil {
			revs = append(revs, n)
		}
	}
	sort.Ints(revs)
	return revs, nil
}

// writeAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so that a crash leaves the old or the new file,
// never half of one.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("profile: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("profile: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}
