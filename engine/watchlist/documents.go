package watchlist

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// DocumentList is what the verification pipeline asks of the lost/stolen
// travel document list.
type DocumentList interface {
	// Lookup reports whether the document of the issuing state (ICAO code)
	// with the number as read from the MRZ is listed; the number may carry
	// fillers and confusable characters (see NormalizeDocumentNumber).
	Lookup(issuer, number string) (DocumentHit, bool)
	// Len is the number of listed documents.
	Len() int
}

// DocumentEntry is one reported travel document.
type DocumentEntry struct {
	// Issuer is the ICAO 9303 code of the issuing state or organisation,
	// three characters padded with '<' ("D<<").
	Issuer string
	// Number is the document number as reported, upper case, without
	// fillers or separators.
	Number string
	// Reason says why the document is listed (lost, stolen, stolen blank,
	// revoked, ...).
	Reason string
	// Authority is who reported it (the issuing authority, a police force,
	// Interpol SLTD, ...).
	Authority string
	// Reported is when it was reported, possibly partial or unknown.
	Reported PartialDate
}

// Limits on the free-text fields of an entry, so that a list cannot grow
// the memory of the index without bound.
const (
	MaxReason    = 200
	MaxAuthority = 200
)

// Normalize checks the entry and returns it with its issuer and number in
// canonical form.
func (e DocumentEntry) Normalize() (DocumentEntry, error) {
	var err error
	if e.Issuer, err = NormalizeIssuer(e.Issuer); err != nil {
		return e, err
	}
	if e.Number, err = CleanDocumentNumber(e.Number); err != nil {
		return e, err
	}
	e.Reason = strings.TrimSpace(e.Reason)
	e.Authority = strings.TrimSpace(e.Authority)
	if e.Reason == "" {
		return e, fmt.Errorf("document %s %s: empty reason", e.Issuer, e.Number)
	}
	if e.Authority == "" {
		return e, fmt.Errorf("document %s %s: empty reporting authority", e.Issuer, e.Number)
	}
	if utf8.RuneCountInString(e.Reason) > MaxReason || !utf8.ValidString(e.Reason) {
		return e, fmt.Errorf("document %s %s: reason is not valid UTF-8 of at most %d characters", e.Issuer, e.Number, MaxReason)
	}
	if utf8.RuneCountInString(e.Authority) > MaxAuthority || !utf8.ValidString(e.Authority) {
		return e, fmt.Errorf("document %s %s: authority is not valid UTF-8 of at most %d characters", e.Issuer, e.Number, MaxAuthority)
	}
	if err := e.Reported.validate(); err != nil {
		return e, fmt.Errorf("document %s %s: reported date: %w", e.Issuer, e.Number, err)
	}
	return e, nil
}

// DocumentHit is a listed document found by Lookup.
type DocumentHit struct {
	Entry DocumentEntry
	// Read is the number as it was looked up (cleaned).
	Read string
	// Exact is true when the number read equals the listed one character
	// for character; false when they agree only through confusable
	// characters (O/0, I/1, ...), which an officer should compare by eye.
	Exact bool
}

// Describe says in words why the document was hit.
func (h DocumentHit) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "document %s of %s is listed as %s by %s", h.Entry.Number, strings.TrimRight(h.Entry.Issuer, "<"), h.Entry.Reason, h.Entry.Authority)
	if h.Entry.Reported.Known() {
		fmt.Fprintf(&b, " (reported %s)", h.Entry.Reported)
	}
	if !h.Exact {
		fmt.Fprintf(&b, "; read as %s, which equals it only through look-alike characters (O/0, I/1, S/5, ...): compare the numbers", h.Read)
	}
	return b.String()
}

// compactDigits is how many characters a number may have to be held in
// the compact slot form; longer ones (rare) go to a map.
const compactDigits = 12

// docSlot is one listed document in 24 bytes: the confusable-normalised
// number and the number as listed, each packed in bijective base 28/37 (so
// that lengths need no separate field), the interned reason and authority,
// and the reported date.
type docSlot struct {
	key  uint64
	raw  uint64
	meta uint32
	date uint32
}

// symbols of the normalised alphabet: digits and the letters that are no
// class representative, numbered from 1 (0 would make lengths ambiguous).
var keySymbol, rawSymbol = func() (k, r [256]byte) {
	n := byte(1)
	for c := '0'; c <= '9'; c++ {
		k[c] = n
		n++
	}
	for c := 'A'; c <= 'Z'; c++ {
		if confusable[c] == byte(c) {
			k[c] = n
			n++
		}
	}
	n = 1
	for c := '0'; c <= '9'; c++ {
		r[c] = n
		n++
	}
	for c := 'A'; c <= 'Z'; c++ {
		r[c] = n
		n++
	}
	return k, r
}()

const rawAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// packNumber packs a cleaned number of at most compactDigits characters.
func packNumber(clean []byte) (key, raw uint64) {
	for _, c := range clean {
		key = key*28 + uint64(keySymbol[confusable[c]])
		raw = raw*37 + uint64(rawSymbol[c])
	}
	return key, raw
}

func unpackRaw(raw uint64) string {
	var buf [compactDigits]byte
	i := len(buf)
	for raw > 0 {
		raw--
		i--
		buf[i] = rawAlphabet[raw%37]
		raw /= 37
	}
	return string(buf[i:])
}

type docMeta struct{ reason, authority string }

// issuerDocs holds the documents of one issuer: a sorted slice searched by
// binary search, and the documents added since it was last sorted.
type issuerDocs struct {
	sorted  []docSlot
	pending []docSlot
}

// DocumentIndex is the lost/stolen list in memory: 24 bytes per document
// (plus the distinct reason/authority pairs), a lookup is a map access and
// a binary search. It is safe for concurrent use; Add and Remove may run
// while lookups do.
type DocumentIndex struct {
	mu      sync.RWMutex
	issuers map[[3]byte]*issuerDocs
	long    map[string][]DocumentEntry // issuer + key -> entries, numbers longer than compactDigits
	metas   []docMeta
	metaIDs map[docMeta]uint32
	n       int
	dirty   atomic.Bool
}

// NewDocumentIndex returns an empty list.
func NewDocumentIndex() *DocumentIndex {
	return &DocumentIndex{
		issuers: map[[3]byte]*issuerDocs{},
		long:    map[string][]DocumentEntry{},
		metaIDs: map[docMeta]uint32{},
	}
}

// Len returns the number of listed documents.
func (x *DocumentIndex) Len() int {
	if x.dirty.Load() {
		x.Flush() // re-reports among the pending entries are not counted twice
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// Add lists a document; an entry with the same issuer and number (as
// listed) replaces the earlier one. Adding many entries and then looking
// up costs one sort, not one per entry.
func (x *DocumentIndex) Add(e DocumentEntry) error {
	e, err := e.Normalize()
	if err != nil {
		return err
	}
	var code [3]byte
	copy(code[:], e.Issuer)
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(e.Number) > compactDigits {
		k := e.Issuer + mustNormalize(e.Number)
		list := x.long[k]
		for i := range list {
			if list[i].Number == e.Number {
				list[i] = e
				return nil
			}
		}
		x.long[k] = append(list, e)
		x.n++
		return nil
	}
	m := docMeta{e.Reason, e.Authority}
	id, ok := x.metaIDs[m]
	if !ok {
		id = uint32(len(x.metas))
		x.metas = append(x.metas, m)
		x.metaIDs[m] = id
	}
	key, raw := packNumber([]byte(e.Number))
	d := x.issuers[code]
	if d == nil {
		d = &issuerDocs{}
		x.issuers[code] = d
	}
	d.pending = append(d.pending, docSlot{key: key, raw: raw, meta: id, date: e.Reported.pack()})
	x.n++ // corrected by merge when the entry replaces one
	x.dirty.Store(true)
	return nil
}

func mustNormalize(clean string) string {
	b := []byte(clean)
	for i, c := range b {
		b[i] = confusable[c]
	}
	return string(b)
}

// Remove takes a document off the list (found, or reported in error); it
// reports whether it was listed. The number must be the listed one (no
// confusable matching).
func (x *DocumentIndex) Remove(issuer, number string) bool {
	iss, err := NormalizeIssuer(issuer)
	if err != nil {
		return false
	}
	clean, err := CleanDocumentNumber(number)
	if err != nil {
		return false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.flushLocked()
	if len(clean) > compactDigits {
		k := iss + mustNormalize(clean)
		list := x.long[k]
		for i := range list {
			if list[i].Number == clean {
				x.long[k] = append(list[:i:i], list[i+1:]...)
				if len(x.long[k]) == 0 {
					delete(x.long, k)
				}
				x.n--
				return true
			}
		}
		return false
	}
	var code [3]byte
	copy(code[:], iss)
	d := x.issuers[code]
	if d == nil {
		return false
	}
	key, raw := packNumber([]byte(clean))
	i := sort.Search(len(d.sorted), func(i int) bool { return !slotLess(d.sorted[i], key, raw) })
	if i < len(d.sorted) && d.sorted[i].key == key && d.sorted[i].raw == raw {
		d.sorted = append(d.sorted[:i], d.sorted[i+1:]...)
		x.n--
		return true
	}
	return false
}

func slotLess(s docSlot, key, raw uint64) bool {
	return s.key < key || (s.key == key && s.raw < raw)
}

// flushLocked merges the pending entries of every issuer into its sorted
// slice; later entries replace earlier ones with the same number.
func (x *DocumentIndex) flushLocked() {
	if !x.dirty.Load() {
		return
	}
	for _, d := range x.issuers {
		if len(d.pending) == 0 {
			continue
		}
		p := d.pending
		sort.SliceStable(p, func(i, j int) bool { return slotLess(p[i], p[j].key, p[j].raw) })
		// Keep only the last of equal numbers within the pending batch.
		w := 0
		for i := range p {
			if i+1 < len(p) && p[i+1].key == p[i].key && p[i+1].raw == p[i].raw {
				x.n--
				continue
			}
			p[w] = p[i]
			w++
		}
		p = p[:w]
		merged := make([]docSlot, 0, len(d.sorted)+len(p))
		i, j := 0, 0
		for i < len(d.sorted) && j < len(p) {
			a, b := d.sorted[i], p[j]
			switch {
			case a.key == b.key && a.raw == b.raw:
				merged = append(merged, b) // the newer report wins
				x.n--
				i++
				j++
			case slotLess(a, b.key, b.raw):
				merged = append(merged, a)
				i++
			default:
				merged = append(merged, b)
				j++
			}
		}
		merged = append(merged, d.sorted[i:]...)
		merged = append(merged, p[j:]...)
		d.sorted = merged
		d.pending = nil
	}
	x.dirty.Store(false)
}

// Flush sorts the entries added since the last lookup, so that the next
// lookup does not pay for it. Loaders call it after a bulk load.
func (x *DocumentIndex) Flush() {
	x.mu.Lock()
	x.flushLocked()
	x.mu.Unlock()
}

// Lookup finds the document of the issuer with the number as read. When
// several listed numbers of the issuer share the normalised key, the one
// equal to the number read is preferred. Lookups that miss allocate
// nothing.
func (x *DocumentIndex) Lookup(issuer, number string) (DocumentHit, bool) {
	var code [3]byte
	if normalizeIssuer(&code, issuer) != nil {
		return DocumentHit{}, false
	}
	var buf [MaxDocumentNumber]byte
	clean, err := cleanNumber(&buf, number)
	if err != nil {
		return DocumentHit{}, false
	}
	if x.dirty.Load() {
		x.Flush()
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if len(clean) > compactDigits {
		return x.lookupLong(code, clean)
	}
	d := x.issuers[code]
	if d == nil {
		return DocumentHit{}, false
	}
	key, raw := packNumber(clean)
	s := d.sorted
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m].key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(s) || s[lo].key != key {
		return DocumentHit{}, false
	}
	best := lo
	for i := lo; i < len(s) && s[i].key == key; i++ {
		if s[i].raw == raw {
			best = i
			break
		}
	}
	slot := s[best]
	m := x.metas[slot.meta]
	return DocumentHit{
		Entry: DocumentEntry{
			Issuer:    string(code[:]),
			Number:    unpackRaw(slot.raw),
			Reason:    m.reason,
			Authority: m.authority,
			Reported:  unpackDate(slot.date),
		},
		Read:  string(clean),
		Exact: slot.raw == raw,
	}, true
}

func (x *DocumentIndex) lookupLong(code [3]byte, clean []byte) (DocumentHit, bool) {
	norm := make([]byte, 3+len(clean))
	copy(norm, code[:])
	for i, c := range clean {
		norm[3+i] = confusable[c]
	}
	list := x.long[string(norm)]
	if len(list) == 0 {
		return DocumentHit{}, false
	}
	best := list[0]
	for _, e := range list {
		if e.Number == string(clean) {
			best = e
			break
		}
	}
	return DocumentHit{Entry: best, Read: string(clean), Exact: best.Number == string(clean)}, true
}
