// Package watchlist is the fingerprint 1:N gallery: enrolled subjects, each
// with one or more fingers (and several views of a finger if wanted), held
// in memory as the matcher's prepared templates, and searched with one or
// more probe fingers of a traveller.
//
// Memory: a template is kept once, in slabs of slabSize prepared templates
// in the gallery's packed form (biometric/match.Packed, a flat value of
// about 1.9 KB without pointers, so a gallery of a million is a few hundred
// large allocations the garbage collector never scans); subjects are found
// by id through a hash table of their indexes, not a map holding the ids a
// second time.
//
// Concurrency: searches read an immutable snapshot (the slabs' filled
// lengths, their removal bitmaps and the subject table) taken with one
// atomic load; enrolment and removal build the next snapshot and publish it
// with one atomic store, copying only what they change (the subject chunk
// and removal bitmap they touch, and the short list of slab headers). A new
// template is written into free slots of the last slab, beyond the length
// that published snapshots know, so no reader ever sees it half-written and
// no search waits for a writer or a writer for a search.
package watchlist

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"unsafe"

	"checkpost/biometric"
	"checkpost/biometric/match"
)

// slabSize is the number of templates per slab (about 7.8 MB).
const slabSize = 4096

// subjectChunk is the number of subjects per chunk of the subject table.
const subjectChunk = 4096

// MaxSubjectIDLength bounds a subject id.
const MaxSubjectIDLength = 128

// MaxFingersPerSubject bounds the templates one subject holds.
const MaxFingersPerSubject = 64

// Errors that callers branch on.
var (
	ErrNoSubject    = errors.New("watchlist: no such subject")
	ErrBadSubjectID = errors.New("watchlist: bad subject id")
	ErrNoFingers    = errors.New("watchlist: no finger to enrol")
	ErrTooMany      = errors.New("watchlist: too many fingers for one subject")
)

// Finger is one enrolled view of a finger.
type Finger struct {
	Position biometric.Position
	Template *match.Template
}

// slab holds slabSize templates, their owners (subject index) and their
// finger positions. Slots below the length a snapshot records never change
// while that snapshot can be read.
type slab struct {
	// tmpl holds the templates packed with the cylinders that the first
	// stage of a two-stage search reads (the ScreenGalleryCylinders most
	// complete) first.
	tmpl  [slabSize]match.Packed
	owner [slabSize]uint32
	pos   [slabSize]biometric.Position
}

// slabView is a snapshot's view of a slab.
type slabView struct {
	s    *slab
	n    int                    // filled slots
	dead *[slabSize / 64]uint64 // removed slots; nil when none; copied on write
	live int
}

func (v *slabView) isDead(i int) bool {
	return v.dead != nil && v.dead[i>>6]>>(i&63)&1 != 0
}

// subject is an enrolled subject, held by value in the subject table
// (no allocation of its own); immutable once published. A removed
// subject's entry has an empty id.
type subject struct {
	id   string
	refs []uint32 // global slots: slab index * slabSize + slot
}

// snapshot is one consistent state of the gallery.
type snapshot struct {
	slabs     []slabView
	subjects  []*[subjectChunk]subject
	nSubjects int // subject indexes used (live or removed)
	live      int // live subjects
	templates int // live templates
}

// subject returns the subject at index i, nil when it was removed.
func (s *snapshot) subject(i uint32) *subject {
	sub := &s.subjects[i/subjectChunk][i%subjectChunk]
	if sub.id == "" {
		return nil
	}
	return sub
}

// Gallery is the in-memory fingerprint watchlist. It is safe for
// concurrent use: any number of searches run while subjects are enrolled
// and removed.
type Gallery struct {
	snap atomic.Pointer[snapshot]

	mu     sync.Mutex // serialises writers
	ids    idIndex
	cursor int // slots used in the last slab
}

// NewGallery returns an empty gallery.
func NewGallery() *Gallery {
	g := &Gallery{ids: idIndex{seed: maphash.MakeSeed()}}
	g.snap.Store(&snapshot{})
	return g
}

// Stats describes the gallery.
type Stats struct {
	Subjects  int
	Templates int
	// Slots counts template slots in use, removed ones included (they are
	// reclaimed when half a slab is removed).
	Slots int
	// Bytes is the memory held by the slabs and the subject table.
	Bytes int64
}

// BytesPerTemplate is the gallery's memory divided by its live templates.
func (s Stats) BytesPerTemplate() float64 {
	if s.Templates == 0 {
		return 0
	}
	return float64(s.Bytes) / float64(s.Templates)
}

// Stats returns the gallery's size and memory.
func (g *Gallery) Stats() Stats {
	s := g.snap.Load()
	st := Stats{Subjects: s.live, Templates: s.templates}
	for _, v := range s.slabs {
		if v.s == nil {
			continue
		}
		st.Slots += v.n
		st.Bytes += int64(unsafe.Sizeof(slab{}))
		if v.dead != nil {
			st.Bytes += int64(unsafe.Sizeof(*v.dead))
		}
	}
	st.Bytes += int64(len(s.subjects)) * int64(unsafe.Sizeof([subjectChunk]subject{}))
	for _, c := range s.subjects {
		for i := range c {
			st.Bytes += int64(len(c[i].id)) + int64(4*cap(c[i].refs))
		}
	}
	// The id index held by writers.
	g.mu.Lock()
	st.Bytes += int64(4 * len(g.ids.slots))
	g.mu.Unlock()
	return st
}

// Len returns the number of live subjects.
func (g *Gallery) Len() int { return g.snap.Load().live }

// Has reports whether a subject is enrolled.
func (g *Gallery) Has(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.ids.find(id, g.snap.Load())
	return ok
}

// Fingers returns the positions of a subject's enrolled templates.
func (g *Gallery) Fingers(id string) ([]biometric.Position, error) {
	s, sub, err := g.lookup(id)
	if err != nil {
		return nil, err
	}
	out := make([]biometric.Position, len(sub.refs))
	for i, r := range sub.refs {
		out[i] = s.slabs[r/slabSize].s.pos[r%slabSize]
	}
	return out, nil
}

// lookup finds a subject by id in the current snapshot; ErrNoSubject when
// it is not enrolled.
func (g *Gallery) lookup(id string) (*snapshot, *subject, error) {
	g.mu.Lock()
	s := g.snap.Load()
	idx, ok := g.ids.find(id, s)
	g.mu.Unlock()
	var sub *subject
	if ok {
		sub = s.subject(idx)
	}
	if sub == nil {
		return nil, nil, fmt.Errorf("%w: %q", ErrNoSubject, id)
	}
	return s, sub, nil
}

// CheckSubjectID reports whether id can name a subject: 1 to
// MaxSubjectIDLength bytes of printable text.
func CheckSubjectID(id string) error {
	if id == "" || len(id) > MaxSubjectIDLength {
		return fmt.Errorf("%w: %q (want 1 to %d characters)", ErrBadSubjectID, id, MaxSubjectIDLength)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return fmt.Errorf("%w: %q has a control or invalid character", ErrBadSubjectID, id)
		}
	}
	return nil
}

// Enrollment is the fingers to add to one subject.
type Enrollment struct {
	Subject string
	Fingers []Finger
}

// Enroll adds fingers to a subject, creating it if it is new.
func (g *Gallery) Enroll(id string, fingers ...Finger) error {
	return g.EnrollBatch([]Enrollment{{Subject: id, Fingers: fingers}})
}

// EnrollBatch adds the fingers of many subjects and publishes them at
// once (loading a stored gallery goes through here). Nothing is added when
// any enrolment is invalid.
func (g *Gallery) EnrollBatch(batch []Enrollment) error {
	for _, e := range batch {
		if err := CheckSubjectID(e.Subject); err != nil {
			return err
		}
		if len(e.Fingers) == 0 {
			return fmt.Errorf("%w: subject %q", ErrNoFingers, e.Subject)
		}
		for i, f := range e.Fingers {
			if f.Template == nil || f.Template.Len() == 0 {
				return fmt.Errorf("watchlist: subject %q finger %d: empty template", e.Subject, i+1)
			}
			if f.Position > biometric.LeftLittle {
				return fmt.Errorf("watchlist: subject %q finger %d: position %d out of range", e.Subject, i+1, f.Position)
			}
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.snap.Load()
	w := newWriter(old)
	pending := map[string]int{}
	for _, e := range batch {
		have := pending[e.Subject]
		if idx, ok := g.ids.find(e.Subject, old); ok && have == 0 {
			have = len(old.subject(idx).refs)
		}
		if have+len(e.Fingers) > MaxFingersPerSubject {
			return fmt.Errorf("%w: subject %q would hold %d (at most %d)", ErrTooMany, e.Subject, have+len(e.Fingers), MaxFingersPerSubject)
		}
		pending[e.Subject] = have + len(e.Fingers)
	}
	// One array holds the references of the whole batch: no allocation
	// per subject.
	total := 0
	for _, e := range batch {
		total += len(e.Fingers)
		if idx, ok := g.ids.find(e.Subject, old); ok {
			total += len(old.subject(idx).refs)
		}
	}
	arena := make([]uint32, 0, total)
	for _, e := range batch {
		idx, ok := g.ids.find(e.Subject, w.s)
		start := len(arena)
		if ok {
			arena = append(arena, w.s.subject(idx).refs...)
		} else {
			idx = uint32(w.s.nSubjects)
			w.s.nSubjects++
			w.s.live++
		}
		for _, f := range e.Fingers {
			ref, p := g.appendSlot(w, idx, f.Position)
			p.Pack(f.Template, ScreenGalleryCylinders)
			arena = append(arena, ref)
		}
		w.setSubject(idx, subject{id: e.Subject, refs: arena[start:len(arena):len(arena)]})
		if !ok {
			g.ids.insert(idx, w.s)
		}
	}
	g.snap.Store(w.s)
	return nil
}

// Remove removes a subject and all its fingers.
func (g *Gallery) Remove(id string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	idx, ok := g.ids.find(id, g.snap.Load())
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoSubject, id)
	}
	w := newWriter(g.snap.Load())
	g.ids.remove(idx, w.s) // while the subject table still names it
	sub := w.s.subject(idx)
	touched := map[int]bool{}
	for _, r := range sub.refs {
		w.kill(r)
		touched[int(r/slabSize)] = true
	}
	w.setSubject(idx, subject{})
	w.s.live--
	// A slab more than half removed is compacted: its live templates move
	// to the tail and the slab is dropped once no snapshot needs it.
	for si := range touched {
		v := &w.s.slabs[si]
		if si != len(w.s.slabs)-1 && v.live < v.n/2 {
			g.compactSlab(w, si)
		}
	}
	g.snap.Store(w.s)
	return nil
}

// compactSlab moves the live templates of slab si to the tail and drops
// the slab from the snapshot being written.
func (g *Gallery) compactSlab(w *writer, si int) {
	v := w.s.slabs[si]
	moved := map[uint32][]uint32{} // subject -> old slot -> replaced
	for i := 0; i < v.n; i++ {
		if v.isDead(i) {
			continue
		}
		owner := v.s.owner[i]
		moved[owner] = append(moved[owner], uint32(si*slabSize+i))
	}
	for owner, olds := range moved {
		sub := w.s.subject(owner)
		refs := append([]uint32(nil), sub.refs...)
		for k, r := range refs {
			for _, o := range olds {
				if r == o {
					ref, p := g.appendSlot(w, owner, v.s.pos[o%slabSize])
					*p = v.s.tmpl[o%slabSize]
					refs[k] = ref
				}
			}
		}
		w.setSubject(owner, subject{id: sub.id, refs: refs})
	}
	w.s.templates -= v.live
	w.s.slabs[si] = slabView{}
}

// appendSlot takes the next free slot (a new slab when the last is full)
// for a template of owner at pos and returns its global slot and where
// the caller writes the template.
func (g *Gallery) appendSlot(w *writer, owner uint32, pos biometric.Position) (uint32, *match.Packed) {
	last := len(w.s.slabs) - 1
	if last < 0 || g.cursor == slabSize {
		w.s.slabs = append(w.s.slabs, slabView{s: new(slab)})
		last++
		g.cursor = 0
	}
	v := &w.s.slabs[last]
	i := g.cursor
	v.s.owner[i] = owner
	v.s.pos[i] = pos
	g.cursor++
	v.n = g.cursor
	v.live++
	w.s.templates++
	return uint32(last*slabSize + i), &v.s.tmpl[i]
}

// idIndex finds a subject's index by its id: open addressing (linear
// probing) over subject indexes, 4 bytes a slot and at most half full; the
// ids are read from the subject table, so none is held twice. Writers
// only, under Gallery.mu.
type idIndex struct {
	seed  maphash.Seed
	slots []uint32 // subject index + 1; 0 is empty
	n     int
}

func (x *idIndex) home(id string) int {
	return int(maphash.String(x.seed, id) & uint64(len(x.slots)-1))
}

// idAt is the id of subject idx in s ("" once removed).
func idAt(s *snapshot, idx uint32) string {
	return s.subjects[idx/subjectChunk][idx%subjectChunk].id
}

// find returns the index of the subject named id in s.
func (x *idIndex) find(id string, s *snapshot) (uint32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := len(x.slots) - 1
	for i := x.home(id); ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			return 0, false
		}
		if idAt(s, v-1) == id {
			return v - 1, true
		}
	}
}

// insert adds subject idx, whose entry in s names it and which is not in
// the index yet.
func (x *idIndex) insert(idx uint32, s *snapshot) {
	if 2*(x.n+1) > len(x.slots) {
		old := x.slots
		x.slots = make([]uint32, max(1024, 2*len(old)))
		for _, v := range old {
			if v != 0 {
				x.place(v, s)
			}
		}
	}
	x.place(idx+1, s)
	x.n++
}

func (x *idIndex) place(v uint32, s *snapshot) {
	mask := len(x.slots) - 1
	i := x.home(idAt(s, v-1))
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = v
}

// remove takes subject idx out; its entry in s must still name it.
func (x *idIndex) remove(idx uint32, s *snapshot) {
	mask := len(x.slots) - 1
	i := x.home(idAt(s, idx))
	for x.slots[i] != idx+1 {
		i = (i + 1) & mask
	}
	// Backward shift: move up each later entry of the run whose home
	// does not lie between the hole and it, so that no probe stops early.
	for j := (i + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		h := x.home(idAt(s, x.slots[j]-1))
		if (j-h)&mask >= (j-i)&mask {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
	x.n--
}

// writer builds the next snapshot, copying what it changes once.
type writer struct {
	s          *snapshot
	ownChunks  map[int]bool
	ownBitmaps map[int]bool
}

func newWriter(old *snapshot) *writer {
	s := *old
	s.slabs = append([]slabView(nil), old.slabs...)
	s.subjects = append([]*[subjectChunk]subject(nil), old.subjects...)
	return &writer{s: &s, ownChunks: map[int]bool{}, ownBitmaps: map[int]bool{}}
}

func (w *writer) setSubject(idx uint32, sub subject) {
	c := int(idx / subjectChunk)
	for c >= len(w.s.subjects) {
		w.s.subjects = append(w.s.subjects, new([subjectChunk]subject))
		w.ownChunks[len(w.s.subjects)-1] = true
	}
	if !w.ownChunks[c] {
		cp := *w.s.subjects[c]
		w.s.subjects[c] = &cp
		w.ownChunks[c] = true
	}
	w.s.subjects[c][idx%subjectChunk] = sub
}

func (w *writer) kill(ref uint32) {
	si, i := int(ref/slabSize), int(ref%slabSize)
	v := &w.s.slabs[si]
	if !w.ownBitmaps[si] {
		nb := new([slabSize / 64]uint64)
		if v.dead != nil {
			*nb = *v.dead
		}
		v.dead = nb
		w.ownBitmaps[si] = true
	}
	if v.dead[i>>6]>>(i&63)&1 == 0 {
		v.dead[i>>6] |= 1 << (i & 63)
		v.live--
		w.s.templates--
	}
}
