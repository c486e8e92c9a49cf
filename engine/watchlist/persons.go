package watchlist

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// PersonList is what the verification pipeline asks of the person
// watchlist.
type PersonList interface {
	// Screen returns the listed persons whose score against the query
	// reaches the query's threshold, best first.
	Screen(q PersonQuery) []PersonHit
	// Len is the number of listed persons.
	Len() int
}

// PersonName is one name of a listed person: the main name or an alias.
type PersonName struct {
	// Primary is the primary identifier (surname, family name), Secondary
	// the secondary identifier (given names), in Latin script as listed.
	Primary, Secondary string
	// OriginalPrimary and OriginalSecondary are the same in the original
	// script (Arabic, Urdu, Persian, ...), where the list gives it; they are
	// transliterated and screened as a further spelling.
	OriginalPrimary, OriginalSecondary string
}

// String writes the name as "PRIMARY, SECONDARY".
func (n PersonName) String() string {
	switch {
	case n.Secondary == "":
		return n.Primary
	case n.Primary == "":
		return n.Secondary
	}
	return n.Primary + ", " + n.Secondary
}

// Person is one entry of the person watchlist.
type Person struct {
	// ID identifies the entry (the store's row id); it must not be 0.
	ID int64
	// Ref is the listing authority's own reference, if any.
	Ref string
	// List names the list the person is on (trafficker, wanted,
	// exit-control, ...).
	List string
	// Names holds the main name first, then the aliases.
	Names []PersonName
	// BirthDate is full, partial or unknown.
	BirthDate PartialDate
	// Nationality is an ICAO 9303 code ("PAK", "D<<"), or "" if unknown.
	Nationality string
	// Reason says why the person is listed.
	Reason string
}

// Limits on a person entry.
const (
	MaxNames     = 32  // names (main name and aliases) per person
	MaxNameField = 200 // characters of one name field
	MaxListName  = 64  // characters of a list name
	MaxRef       = 64  // characters of the reference
)

// Normalize checks the entry (all but the ID, which the store assigns) and
// returns it with its fields trimmed and the nationality in canonical form.
func (p Person) Normalize() (Person, error) {
	p.List = strings.TrimSpace(p.List)
	p.Reason = strings.TrimSpace(p.Reason)
	p.Ref = strings.TrimSpace(p.Ref)
	switch {
	case p.List == "":
		return p, fmt.Errorf("person: empty list name")
	case utf8.RuneCountInString(p.List) > MaxListName:
		return p, fmt.Errorf("person: list name longer than %d characters", MaxListName)
	case p.Reason == "":
		return p, fmt.Errorf("person: empty reason")
	case utf8.RuneCountInString(p.Reason) > MaxReason:
		return p, fmt.Errorf("person: reason longer than %d characters", MaxReason)
	case utf8.RuneCountInString(p.Ref) > MaxRef:
		return p, fmt.Errorf("person: reference longer than %d characters", MaxRef)
	case len(p.Names) == 0:
		return p, fmt.Errorf("person: no name")
	case len(p.Names) > MaxNames:
		return p, fmt.Errorf("person: %d names, at most %d", len(p.Names), MaxNames)
	}
	names := make([]PersonName, len(p.Names))
	for i, n := range p.Names {
		n.Primary = strings.TrimSpace(n.Primary)
		n.Secondary = strings.TrimSpace(n.Secondary)
		n.OriginalPrimary = strings.TrimSpace(n.OriginalPrimary)
		n.OriginalSecondary = strings.TrimSpace(n.OriginalSecondary)
		for _, f := range []string{n.Primary, n.Secondary, n.OriginalPrimary, n.OriginalSecondary} {
			if !utf8.ValidString(f) || utf8.RuneCountInString(f) > MaxNameField {
				return p, fmt.Errorf("person: name %d: a field is not valid UTF-8 of at most %d characters", i+1, MaxNameField)
			}
		}
		latin := tokenizeName(tokenizeName(nil, n.Primary, false), n.Secondary, true)
		orig := tokenizeName(tokenizeName(nil, n.OriginalPrimary, false), n.OriginalSecondary, true)
		if len(latin) == 0 && len(orig) == 0 {
			return p, fmt.Errorf("person: name %d (%q) has no letters to screen", i+1, n.String())
		}
		names[i] = n
	}
	p.Names = names
	if p.Nationality != "" {
		nat, err := NormalizeIssuer(p.Nationality)
		if err != nil {
			return p, fmt.Errorf("person: nationality: %w", err)
		}
		p.Nationality = nat
	}
	if err := p.BirthDate.validate(); err != nil {
		return p, fmt.Errorf("person: birth date: %w", err)
	}
	return p, nil
}

// PersonQuery is the traveller to screen.
type PersonQuery struct {
	// Primary and Secondary are the identifiers as read: MRZ form
	// ("AL<HUSSAIN", "MUHAMMAD<ALI"), printed Latin, or another script.
	Primary, Secondary string
	// Truncated is set when the MRZ name field was full, so that its last
	// name part may be cut short (ICAO 9303 truncates long names).
	Truncated bool
	// BirthDate and Nationality as read; unknown parts zero or "".
	BirthDate   PartialDate
	Nationality string
	// MinScore is the threshold for a hit; 0 means DefaultThreshold.
	MinScore float64
	// Limit caps the number of hits; 0 means 10.
	Limit int
}

// ParseMRZName splits the name field of an MRZ ("HUSSAIN<<MUHAMMAD<ALI<<<")
// into the primary and secondary identifiers; truncated reports that the
// field was filled to its end (no closing filler), so that the last name
// part may have been cut. Pass the whole field as it stands in the MRZ.
func ParseMRZName(field string) (primary, secondary string, truncated bool) {
	truncated = field != "" && field[len(field)-1] != '<'
	primary, secondary, _ = strings.Cut(field, "<<")
	primary = strings.Trim(strings.ReplaceAll(primary, "<", " "), " ")
	secondary = strings.Join(strings.Fields(strings.ReplaceAll(secondary, "<", " ")), " ")
	return primary, secondary, truncated
}

// PersonHit is a listed person found by Screen.
type PersonHit struct {
	Person Person
	// Score is the combined score in [0, 1]; NameScore the score of the
	// names alone, before the birth date and nationality adjust it.
	Score, NameScore float64
	// Name is the index in Person.Names of the name that matched best.
	Name int
	// Reason explains the score in words.
	Reason string
}

// DefaultThreshold is the score from which Screen reports a hit. It is the
// lowest threshold (on a grid of 0.005) at which at most 2% of the
// unlisted look-alikes of the generated evaluation set of seed 1 (10,000
// listed, 10,000 mates, 10,000 impostors; engine/watchlist/synth) raise a
// hit: "checkpost bench watchlist --tune --seed 1" recomputes it. Accuracy
// is reported on other seeds.
const DefaultThreshold = 0.835

// Scoring parameters: how much a name part that does not match weighs
// against the parts that do, and how the birth date and nationality move
// the name score. See scoreName and dateAdjust.
const (
	minTokenSim      = 0.62 // below this two name parts are not a pair
	unmatchedListed  = 0.35 // a listed part missing from the document (a middle name left out)
	unmatchedTrunc   = 0.10 // the same when the MRZ name was truncated
	unmatchedQueried = 0.35 // a part on the document missing from the list
	nationalityEqual = 0.02
	nationalityDiff  = -0.05
	maxQueryTokens   = 8     // name parts of a query that are screened; more are ignored
	extraPostings    = 20000 // postings read beyond the prefix filter's bound while that is cheap
	maxNameTokens    = 16
)

// dateVerdict is how a read birth date compares with a listed one.
type dateVerdict uint8

const (
	dateNotListed dateVerdict = iota
	dateNotRead
	dateNoYear
	dateYearOff
	dateDiffers
	dateDayMonthSwapped
	dateMonthDiffers
	dateDayDiffers
	dateEqual
	dateAgrees
)

// dateAdjustments is how much each verdict moves the name score: a full
// match confirms, a differing date speaks against the same person (a
// one-digit year slip or swapped day and month less so), an unknown date
// says nothing.
var dateAdjustments = [...]float64{
	dateNotListed:       0,
	dateNotRead:         0,
	dateNoYear:          0,
	dateYearOff:         -0.15,
	dateDiffers:         -0.35,
	dateDayMonthSwapped: -0.05,
	dateMonthDiffers:    -0.15,
	dateDayDiffers:      -0.1,
	dateEqual:           0.06,
	dateAgrees:          0.03,
}

// dateAdjust compares the birth dates; it allocates nothing.
func dateAdjust(listed, read PartialDate) (float64, dateVerdict) {
	v := compareDates(listed, read)
	return dateAdjustments[v], v
}

func compareDates(listed, read PartialDate) dateVerdict {
	switch {
	case !listed.Known():
		return dateNotListed
	case !read.Known():
		return dateNotRead
	case listed.Year == 0 || read.Year == 0:
		return dateNoYear
	case !yearsAgree(listed.Year, read.Year):
		if read.Year > 100 && listed.Year > 100 && absInt(read.Year-listed.Year) == 1 && read.Month == listed.Month && read.Day == listed.Day {
			return dateYearOff
		}
		return dateDiffers
	case listed.Month != 0 && read.Month != 0 && listed.Month != read.Month:
		if listed.Day != 0 && read.Day == listed.Month && read.Month == listed.Day {
			return dateDayMonthSwapped
		}
		return dateMonthDiffers
	case listed.Month != 0 && read.Month != 0 && listed.Day != 0 && read.Day != 0 && listed.Day != read.Day:
		return dateDayDiffers
	case listed.Full() && read.Full():
		return dateEqual
	}
	return dateAgrees
}

func datePhrase(listed, read PartialDate) string {
	switch compareDates(listed, read) {
	case dateNotListed:
		return "no birth date listed"
	case dateNotRead:
		return "no birth date read"
	case dateNoYear:
		return "birth years unknown"
	case dateYearOff:
		return fmt.Sprintf("birth date %s is one year off the listed %s", read, listed)
	case dateDiffers:
		return fmt.Sprintf("birth date %s differs from the listed %s", read, listed)
	case dateDayMonthSwapped:
		return fmt.Sprintf("birth date %s equals the listed %s with day and month swapped", read, listed)
	case dateMonthDiffers:
		return fmt.Sprintf("birth month of %s differs from the listed %s", read, listed)
	case dateDayDiffers:
		return fmt.Sprintf("birth day of %s differs from the listed %s", read, listed)
	case dateEqual:
		return fmt.Sprintf("birth date %s equals the listed one", read)
	}
	return fmt.Sprintf("birth date %s agrees with the listed %s as far as both are known", read, listed)
}

func natPhrase(listed, read string) string {
	switch {
	case listed == "" || read == "":
		return ""
	case listed == read:
		return "nationality " + strings.TrimRight(read, "<") + " as listed"
	}
	return fmt.Sprintf("nationality %s, listed %s", strings.TrimRight(read, "<"), strings.TrimRight(listed, "<"))
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// vocabEntry is one distinct canonical spelling of a name part.
type vocabEntry struct {
	spell, alt  string
	key, altKey int32 // key ids; altKey -1 when there is no alt
}

// nameRec is one screened spelling of a person's name: a listed name or
// alias, or the transliteration of its original script.
type nameRec struct {
	person   uint32
	variant  uint16 // index into Person.Names
	original bool   // the transliterated original script
	tokLen   uint8
	tokStart uint32
}

// A posting is one name under one key, packed so that the scan rules most
// names out without touching anything but the posting list: the person's
// birth date (PartialDate.pack, year in the top bits, so that postings in
// order are in order of birth year), the nationality (natCode) and the
// name id.
const (
	postNameBits  = 26 // name ids below 1<<26
	postNatBits   = 15
	postDateShift = postNameBits + postNatBits
	postNameMask  = 1<<postNameBits - 1
	postNatMask   = 1<<postNatBits - 1
	// postYearShift is the shift of the birth year in a posting.
	postYearShift = postDateShift + 9
	// MaxScreenedNames bounds the screened names (main names, aliases and
	// transliterations) the index holds.
	MaxScreenedNames = postNameMask
)

// nameTokLenBits is the width of a name's part count in nameToks; the
// parts' start takes the rest, so the index holds at most maxTokens parts.
const (
	nameTokLenBits = 5
	maxTokens      = 1<<(32-nameTokLenBits) - 1
)

func makePosting(date uint32, nat uint16, name uint32) uint64 {
	return uint64(date)<<postDateShift | uint64(nat)<<postNameBits | uint64(name)
}

// natCode packs a normalised nationality (three of A-Z and '<') into 15
// bits; 0 is unknown.
func natCode(nat string) uint16 {
	if len(nat) != 3 {
		return 0
	}
	var v uint16
	for i := 0; i < 3; i++ {
		c := nat[i]
		d := uint16(27)
		if c >= 'A' && c <= 'Z' {
			d = uint16(c-'A') + 1
		}
		v = v*28 + d
	}
	return v
}

const secondaryBit = 1 << 31

// PersonIndex is the person watchlist in memory, indexed by the skeleton
// keys of the name parts. It is safe for concurrent use.
type PersonIndex struct {
	mu      sync.RWMutex
	persons []Person
	first   []uint32 // person -> its first name id; its names are contiguous
	byID    map[int64]uint32
	live    int
	names   []nameRec
	removed []uint64 // bit per name id: its person was removed
	// nameToks: name id -> tokStart<<nameTokLenBits | tokLen, the
	// name's parts for scoring, in a dense array of their own.
	nameToks []uint32
	tokens   []uint32 // vocab id | secondaryBit
	vocab    []vocabEntry
	vocabIDs map[string]int32
	keyIDs   map[string]int32
	keyStr   []string
	// postings: key id -> the names holding a part with that key, each
	// a posting (makePosting: birth date, nationality, name id). The
	// first sorted[key] of them are in order, so that a search for a
	// birth year reads only the names of that year and of unknown years;
	// the rest, added since, are read one by one.
	postings  [][]uint64
	sortedLen []int32
	sorted    []int32 // key ids in key order, for prefix searches; nil when stale
	sortedMu  sync.Mutex
	// free keeps the search scratches between searches. Not a sync.Pool:
	// a pool drops its items at every collection, and a scratch for a
	// million names is megabytes to allocate and clear again.
	freeMu sync.Mutex
	free   []*searchScratch
}

// NewPersonIndex returns an empty watchlist.
func NewPersonIndex() *PersonIndex {
	return &PersonIndex{byID: map[int64]uint32{}, vocabIDs: map[string]int32{}, keyIDs: map[string]int32{}}
}

// Len returns the number of listed persons.
func (x *PersonIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

func (x *PersonIndex) keyID(k string) int32 {
	id, ok := x.keyIDs[k]
	if !ok {
		id = int32(len(x.keyStr))
		x.keyIDs[k] = id
		x.keyStr = append(x.keyStr, k)
		x.postings = append(x.postings, nil)
		x.sortedLen = append(x.sortedLen, 0)
		x.sortedMu.Lock()
		x.sorted = nil
		x.sortedMu.Unlock()
	}
	return id
}

func (x *PersonIndex) vocabID(t nameToken) int32 {
	id, ok := x.vocabIDs[t.spell+"|"+t.alt]
	if ok {
		return id
	}
	v := vocabEntry{spell: t.spell, alt: t.alt, key: x.keyID(skeletonKey(t.spell)), altKey: -1}
	if t.alt != "" {
		v.altKey = x.keyID(skeletonKey(t.alt))
	}
	id = int32(len(x.vocab))
	x.vocab = append(x.vocab, v)
	x.vocabIDs[t.spell+"|"+t.alt] = id
	return id
}

func (x *PersonIndex) post(key int32, posting uint64) {
	p := x.postings[key]
	if len(p) > 0 && p[len(p)-1]&postNameMask == posting&postNameMask {
		return // two parts of one name with the same key
	}
	x.postings[key] = append(p, posting)
}

// sortPostings puts the postings of the key in order once the unsorted
// tail has grown to an eighth of the list (at least 256): a bulk load
// sorts each list a logarithmic number of times.
func (x *PersonIndex) sortPostings(key int32) {
	p := x.postings[key]
	tail := len(p) - int(x.sortedLen[key])
	if tail < 256 || tail < len(p)/8 {
		return
	}
	slices.Sort(p)
	x.sortedLen[key] = int32(len(p))
}

// Add lists a person, or replaces the entry with the same ID; the ID must
// not be 0.
func (x *PersonIndex) Add(p Person) error {
	if p.ID == 0 {
		return fmt.Errorf("person: id 0 (the store assigns ids; give one when the person is not stored)")
	}
	p, err := p.Normalize()
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.names)+2*len(p.Names) > MaxScreenedNames || len(x.tokens)+2*len(p.Names)*maxNameTokens > maxTokens {
		return fmt.Errorf("person: the watchlist is full (%d screened names, %d name parts)", len(x.names), len(x.tokens))
	}
	if old, ok := x.byID[p.ID]; ok {
		x.removeLocked(old)
	}
	pi := uint32(len(x.persons))
	x.persons = append(x.persons, p)
	x.first = append(x.first, uint32(len(x.names)))
	x.byID[p.ID] = pi
	x.live++
	var toks []nameToken
	var touched []int32
	seen := map[string]bool{}
	date, nat := p.BirthDate.pack(), natCode(p.Nationality)
	for vi, n := range p.Names {
		for _, original := range []bool{false, true} {
			toks = toks[:0]
			if original {
				toks = tokenizeName(toks, n.OriginalPrimary, false)
				toks = tokenizeName(toks, n.OriginalSecondary, true)
			} else {
				toks = tokenizeName(toks, n.Primary, false)
				toks = tokenizeName(toks, n.Secondary, true)
			}
			if len(toks) == 0 {
				continue
			}
			if len(toks) > maxNameTokens {
				toks = toks[:maxNameTokens]
			}
			sig := tokenSignature(toks)
			if seen[sig] {
				continue // an alias or transliteration that screens the same
			}
			seen[sig] = true
			ni := uint32(len(x.names))
			rec := nameRec{person: pi, variant: uint16(vi), original: original, tokLen: uint8(len(toks)), tokStart: uint32(len(x.tokens))}
			x.names = append(x.names, rec)
			if int(ni)/64 >= len(x.removed) {
				x.removed = append(x.removed, 0)
			}
			posting := makePosting(date, nat, ni)
			for _, t := range toks {
				id := x.vocabID(t)
				tok := uint32(id)
				if t.secondary {
					tok |= secondaryBit
				}
				x.tokens = append(x.tokens, tok)
				v := x.vocab[id]
				x.post(v.key, posting)
				touched = append(touched, v.key)
				if v.altKey >= 0 {
					x.post(v.altKey, posting)
					touched = append(touched, v.altKey)
				}
			}
			x.nameToks = append(x.nameToks, rec.tokStart<<nameTokLenBits|uint32(rec.tokLen))
		}
	}
	for _, k := range touched {
		x.sortPostings(k)
	}
	return nil
}

func tokenSignature(toks []nameToken) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.spell)
		if t.secondary {
			b.WriteByte('/')
		} else {
			b.WriteByte('|')
		}
	}
	return b.String()
}

// Remove takes the person with the ID off the list; it reports whether the
// person was listed.
func (x *PersonIndex) Remove(id int64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	pi, ok := x.byID[id]
	if !ok {
		return false
	}
	x.removeLocked(pi)
	return true
}

// removeLocked marks the person removed; the postings keep the person's
// names, which the search skips.
func (x *PersonIndex) removeLocked(pi uint32) {
	end := uint32(len(x.names))
	if int(pi)+1 < len(x.first) {
		end = x.first[pi+1]
	}
	for ni := x.first[pi]; ni < end; ni++ {
		x.removed[ni/64] |= 1 << (ni % 64)
	}
	delete(x.byID, x.persons[pi].ID)
	x.persons[pi] = Person{ID: x.persons[pi].ID}
	x.live--
}

// queryToken is a name part of the query with what the search needs of it.
type queryToken struct {
	nameToken
	prefix bool    // the truncated last part: compared as a prefix
	keys   []int32 // the key ids it is looked up under
	df     int     // names posted under those keys
	weight float64
}

// searchScratch is the per-search memory, reused through a pool.
type searchScratch struct {
	stamp    uint32
	seen     []uint32 // name id -> stamp when already scored
	memo     []memoEntry
	hits     []candidate
	keysBuf  []int32
	qtoks    []queryToken
	nameToks []nameToken
	years    []int
	// nameScores caches the name score of listed spellings scored in
	// this search, by a hash of their parts (direct-mapped: a clash only
	// costs a scoring again): common names (Khan, Muhammad) are listed
	// thousands of times with the same parts.
	nameScores [nameScoreSlots]nameScoreEntry
	// sims and partWeights are scoreName's work arrays, kept here so
	// that a call does not clear them (only the cells it reads are
	// written).
	sims        [maxQueryTokens][maxNameTokens]float32
	partWeights [maxNameTokens]float64
	// batch holds the names the scan passed, scored in groups
	// (considerBatch).
	batch  [32]pending
	nBatch int
}

const nameScoreSlots = 4096

type nameScoreEntry struct {
	stamp uint32
	hash  uint64
	score float64
}

type memoEntry struct {
	stamp  uint32
	weight float32
	sim    [maxQueryTokens]float32
}

type candidate struct {
	name          uint32
	score, nscore float64
}

// maxFreeScratches bounds the scratches kept: more searches than this at
// once allocate their own.
const maxFreeScratches = 16

func (x *PersonIndex) getScratch() *searchScratch {
	var s *searchScratch
	x.freeMu.Lock()
	if n := len(x.free); n > 0 {
		s = x.free[n-1]
		x.free = x.free[:n-1]
	}
	x.freeMu.Unlock()
	if s == nil {
		s = &searchScratch{}
	}
	if len(s.seen) < len(x.names) {
		s.seen = make([]uint32, len(x.names)+len(x.names)/4)
		s.stamp = 0
	}
	if len(s.memo) < len(x.vocab) {
		s.memo = make([]memoEntry, len(x.vocab)+len(x.vocab)/4)
		s.stamp = 0
	}
	s.stamp++
	if s.stamp == 0 { // wrapped: clear the stamps
		clear(s.seen)
		for i := range s.memo {
			s.memo[i].stamp = 0
		}
		for i := range s.nameScores {
			s.nameScores[i].stamp = 0
		}
		s.stamp = 1
	}
	return s
}

func (x *PersonIndex) putScratch(s *searchScratch) {
	x.freeMu.Lock()
	if len(x.free) < maxFreeScratches {
		x.free = append(x.free, s)
	}
	x.freeMu.Unlock()
}

// idf is the weight of a name part posted under df of the n screened
// names: rare parts identify, common ones (Muhammad, Khan) hardly do.
func idf(n, df int) float64 {
	return math.Log(1 + float64(n)/float64(1+df))
}

// Screen searches the list for the query; see PersonList.
func (x *PersonIndex) Screen(q PersonQuery) []PersonHit {
	minScore := q.MinScore
	if minScore <= 0 {
		minScore = DefaultThreshold
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	qnat := ""
	if q.Nationality != "" {
		qnat, _ = NormalizeIssuer(q.Nationality)
	}

	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.getScratch()
	defer x.putScratch(s)

	s.nameToks = tokenizeName(tokenizeName(s.nameToks[:0], q.Primary, false), q.Secondary, true)
	if len(s.nameToks) == 0 || len(x.names) == 0 {
		return nil
	}
	if len(s.nameToks) > maxQueryTokens {
		s.nameToks = s.nameToks[:maxQueryTokens]
	}
	nNames := len(x.names)
	s.qtoks = s.qtoks[:0]
	s.keysBuf = s.keysBuf[:0]
	for i, t := range s.nameToks {
		qt := queryToken{nameToken: t, prefix: q.Truncated && i == len(s.nameToks)-1}
		start := len(s.keysBuf)
		if qt.prefix {
			s.keysBuf = x.prefixKeys(s.keysBuf, skeletonKey(t.spell))
		} else {
			if k, ok := x.keyIDs[skeletonKey(t.spell)]; ok {
				s.keysBuf = append(s.keysBuf, k)
			}
		}
		if t.alt != "" {
			if k, ok := x.keyIDs[skeletonKey(t.alt)]; ok {
				s.keysBuf = append(s.keysBuf, k)
			}
		}
		qt.keys = s.keysBuf[start:len(s.keysBuf):len(s.keysBuf)]
		for _, k := range qt.keys {
			qt.df += len(x.postings[k])
		}
		qt.weight = idf(nNames, qt.df)
		s.qtoks = append(s.qtoks, qt)
	}

	// Prefix filter: a name that matches none of the rarest parts in P
	// cannot reach the name score needed, so only P's postings are read.
	minName := minScore*(1+0.06+nationalityEqual) - 0.06 - nationalityEqual // the best the date and nationality can add
	order := make([]int, len(s.qtoks))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return s.qtoks[order[a]].df < s.qtoks[order[b]].df })
	var total float64
	for _, qt := range s.qtoks {
		total += qt.weight
	}
	var inP float64
	nP, scanned := 0, 0
	for nP < len(order) {
		inP += s.qtoks[order[nP]].weight
		scanned += s.qtoks[order[nP]].df
		nP++
		rest := total - inP
		if rest/(rest+unmatchedQueried*inP) < minName {
			break
		}
	}
	// The bound assumes a part of P matches under its own key; a misread or
	// an unusual spelling of a rare part can move it to another key. While
	// it is cheap, the next parts are read too, so that such a name is
	// still found through its other parts.
	for nP < len(order) && scanned+s.qtoks[order[nP]].df <= extraPostings {
		scanned += s.qtoks[order[nP]].df
		nP++
	}

	// A listed birth year other than the one read costs at least the
	// penalty of a year one off; when that alone keeps a name below the
	// threshold, names of other years are skipped in the scan.
	qYear := q.BirthDate.Year
	skipYears := qYear != 0 && combine(1, dateAdjustments[dateYearOff], nationalityEqual) < minScore
	var years []int
	if skipYears {
		years = yearsAgreeing(s.years[:0], qYear)
		s.years = years
	}
	s.hits = s.hits[:0]
	qnatCode := natCode(qnat)
	scan := func(posts []uint64, checkYear bool) {
		for _, post := range posts {
			if year := int(post >> postYearShift); checkYear && year != 0 && year != qYear && !yearsAgree(year, qYear) {
				continue
			}
			// The birth date and nationality alone rule most names of
			// a common part out, from the posting itself.
			verdict := compareDates(unpackDate(uint32(post>>postDateShift)), q.BirthDate)
			dAdj := dateAdjustments[verdict]
			if combine(1, dAdj, nationalityEqual) < minScore {
				continue
			}
			nat := natUnknown
			if nc := uint16(post>>postNameBits) & postNatMask; nc != 0 && qnatCode != 0 {
				nat = natDiffers
				if nc == qnatCode {
					nat = natEqual
				}
			}
			if combine(1, dAdj, natAdjustments[nat]) < minScore {
				continue
			}
			ni := uint32(post) & postNameMask
			if s.seen[ni] == s.stamp {
				continue
			}
			s.seen[ni] = s.stamp
			s.batch[s.nBatch] = pending{name: ni, date: verdict, nat: nat}
			if s.nBatch++; s.nBatch == len(s.batch) {
				x.considerBatch(s, q.Truncated, minScore)
			}
		}
	}
	for _, oi := range order[:nP] {
		for _, k := range s.qtoks[oi].keys {
			posts := x.postings[k]
			if !skipYears {
				scan(posts, false)
				continue
			}
			sorted := posts[:x.sortedLen[k]]
			for _, y := range years {
				lo, _ := slices.BinarySearch(sorted, uint64(y)<<postYearShift)
				hi, _ := slices.BinarySearch(sorted, uint64(y+1)<<postYearShift)
				scan(sorted[lo:hi], false)
			}
			scan(posts[x.sortedLen[k]:], true)
		}
	}
	x.considerBatch(s, q.Truncated, minScore)
	return x.hits(s, q, qnat, limit)
}

// yearsAgreeing appends the listed birth years that agree with the year
// read, unknown (0) first: the year itself, its two-digit form, and when
// the year read has two digits, that year in every century.
func yearsAgreeing(dst []int, y int) []int {
	dst = append(dst, 0)
	if y > 100 {
		dst = append(dst, y%100)
		if y%100 == 0 {
			dst[len(dst)-1] = 100
		}
		return append(dst, y)
	}
	dst = append(dst, y)
	for c := 1800; c <= 2900; c += 100 {
		dst = append(dst, c+y%100)
	}
	return dst
}

// prefixKeys appends the ids of the keys that start with prefix.
func (x *PersonIndex) prefixKeys(dst []int32, prefix string) []int32 {
	sorted := x.sortedKeys()
	i := sort.Search(len(sorted), func(i int) bool { return x.keyStr[sorted[i]] >= prefix })
	for ; i < len(sorted) && strings.HasPrefix(x.keyStr[sorted[i]], prefix); i++ {
		dst = append(dst, sorted[i])
	}
	return dst
}

// sortedKeys returns the key ids in key order, sorting them first when a
// key was added since. Searches hold the read lock, so the sort is guarded
// by a mutex of its own.
func (x *PersonIndex) sortedKeys() []int32 {
	x.sortedMu.Lock()
	defer x.sortedMu.Unlock()
	if x.sorted == nil {
		ids := make([]int32, len(x.keyStr))
		for i := range ids {
			ids[i] = int32(i)
		}
		sort.Slice(ids, func(a, b int) bool { return x.keyStr[ids[a]] < x.keyStr[ids[b]] })
		x.sorted = ids
	}
	return x.sorted
}

// pending is a name that passed the scan's filters, with how its birth
// date and nationality compare with those read.
type pending struct {
	name uint32
	date dateVerdict
	nat  natVerdict
}

// natVerdict is how a listed nationality compares with the one read.
type natVerdict uint8

const (
	natUnknown natVerdict = iota // either is unknown
	natEqual
	natDiffers
)

var natAdjustments = [...]float64{natUnknown: 0, natEqual: nationalityEqual, natDiffers: nationalityDiff}

// considerBatch scores the pending names and keeps those that reach
// minScore. It works in steps over the whole batch (parts' place, parts,
// scores) so that the memory reads of the batch's names, scattered over
// the index, are in flight together instead of one after the other.
func (x *PersonIndex) considerBatch(s *searchScratch, truncated bool, minScore float64) {
	b := s.batch[:s.nBatch]
	s.nBatch = 0
	var where [len(s.batch)]uint32
	var hash [len(s.batch)]uint64
	for k := range b {
		if x.removed[b[k].name/64]>>(b[k].name%64)&1 != 0 {
			where[k] = 0 // no parts: skipped below
			continue
		}
		where[k] = x.nameToks[b[k].name]
	}
	for k := range b {
		w := where[k]
		hash[k] = spellingHash(x.tokens[w>>nameTokLenBits : w>>nameTokLenBits+w&(1<<nameTokLenBits-1)])
	}
	for k := range b {
		w := where[k]
		if w&(1<<nameTokLenBits-1) == 0 {
			continue
		}
		h := hash[k]
		e := &s.nameScores[h%nameScoreSlots]
		var ns float64
		if e.stamp == s.stamp && e.hash == h {
			ns = e.score
		} else {
			ns = x.scoreName(s, x.tokens[w>>nameTokLenBits:w>>nameTokLenBits+w&(1<<nameTokLenBits-1)], truncated, nil)
			*e = nameScoreEntry{stamp: s.stamp, hash: h, score: ns}
		}
		score := combine(ns, dateAdjustments[b[k].date], natAdjustments[b[k].nat])
		if score >= minScore {
			s.hits = append(s.hits, candidate{name: b[k].name, score: score, nscore: ns})
		}
	}
}

// spellingHash identifies a screened spelling by its parts (FNV-1a over
// their ids and roles), for the per-search score memo.
func spellingHash(toks []uint32) uint64 {
	h := uint64(14695981039346656037)
	for _, t := range toks {
		h = (h ^ uint64(t)) * 1099511628211
	}
	return h
}

// combine adds the birth date's and the nationality's adjustments to the
// name score and scales the sum so that a perfect match of all three is 1.
func combine(name, dateAdj, natAdj float64) float64 {
	const best = 1 + 0.06 + nationalityEqual // dateAdjustments[dateEqual]
	return math.Max(0, math.Min(1, (name+dateAdj+natAdj)/best))
}

// pairing is one matched pair of name parts, for the explanation.
type pairing struct {
	q, e int
	sim  float32
}

// scoreName compares the query's name parts with a listed name: parts are
// paired greedily by similarity (so order does not matter), and the score
// is the weighted similarity of the pairs over the weight of all parts,
// unpaired ones counting for less (a middle name left out of a document or
// a list is common). Weights are the parts' rarity in the list.
func (x *PersonIndex) scoreName(s *searchScratch, toks []uint32, truncated bool, explain *[]pairing) float64 {
	nq := len(s.qtoks)
	sims, ew := &s.sims, &s.partWeights
	nNames := len(x.names)
	for j, tok := range toks {
		vid := tok &^ secondaryBit
		m := &s.memo[vid]
		if m.stamp != s.stamp {
			m.stamp = s.stamp
			v := &x.vocab[vid]
			m.weight = float32(idf(nNames, len(x.postings[v.key])))
			for i := 0; i < nq; i++ {
				m.sim[i] = x.pairSim(&s.qtoks[i], v)
			}
		}
		ew[j] = float64(m.weight)
		for i := 0; i < nq; i++ {
			sims[i][j] = m.sim[i]
		}
	}
	var qUsed [maxQueryTokens]bool
	var eUsed [maxNameTokens]bool
	var num, den float64
	for {
		bi, bj, best := -1, -1, float32(minTokenSim)
		for i := 0; i < nq; i++ {
			if qUsed[i] {
				continue
			}
			for j := range toks {
				if !eUsed[j] && sims[i][j] >= best {
					bi, bj, best = i, j, sims[i][j]
				}
			}
		}
		if bi < 0 {
			break
		}
		qUsed[bi], eUsed[bj] = true, true
		w := s.qtoks[bi].weight
		if s.qtoks[bi].prefix {
			// A cut part tells as much as the share of the name it keeps.
			full := len(x.vocab[toks[bj]&^secondaryBit].spell)
			if l := len(s.qtoks[bi].spell); l < full {
				w *= float64(l) / float64(full)
			}
		}
		num += float64(best) * w
		den += w
		if explain != nil {
			*explain = append(*explain, pairing{bi, bj, best})
		}
	}
	for i := 0; i < nq; i++ {
		if !qUsed[i] {
			den += unmatchedQueried * s.qtoks[i].weight
		}
	}
	missing := unmatchedListed
	if truncated {
		missing = unmatchedTrunc
	}
	for j := range toks {
		if !eUsed[j] {
			den += missing * ew[j]
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// pairSim is the similarity of a query part and a listed part, trying the
// forms without an attached article too.
func (x *PersonIndex) pairSim(q *queryToken, v *vocabEntry) float32 {
	best := tokenSimilarity(q.spell, v.spell, q.prefix)
	if best == 1 {
		return 1
	}
	const articleCost = 0.97 // "AL HASHIMI" and "HASHIMI" are very nearly the same name
	if v.alt != "" {
		best = max(best, articleCost*tokenSimilarity(q.spell, v.alt, q.prefix))
	}
	if q.alt != "" {
		best = max(best, articleCost*tokenSimilarity(q.alt, v.spell, q.prefix))
		if v.alt != "" {
			best = max(best, tokenSimilarity(q.alt, v.alt, q.prefix))
		}
	}
	return best
}

// hits turns the kept candidates into hits, one per person (its best
// name), best first, with their reasons.
func (x *PersonIndex) hits(s *searchScratch, q PersonQuery, qnat string, limit int) []PersonHit {
	if len(s.hits) == 0 {
		return nil
	}
	sort.Slice(s.hits, func(a, b int) bool {
		if s.hits[a].score != s.hits[b].score {
			return s.hits[a].score > s.hits[b].score
		}
		return s.hits[a].name < s.hits[b].name
	})
	var out []PersonHit
	done := map[uint32]bool{}
	for _, c := range s.hits {
		rec := x.names[c.name]
		if done[rec.person] {
			continue
		}
		done[rec.person] = true
		p := x.persons[rec.person]
		out = append(out, PersonHit{
			Person:    p,
			Score:     c.score,
			NameScore: c.nscore,
			Name:      int(rec.variant),
			Reason:    x.explain(s, rec, q, qnat, c),
		})
		if len(out) == limit {
			break
		}
	}
	return out
}

// explain says in words how the name record scored against the query.
func (x *PersonIndex) explain(s *searchScratch, rec nameRec, q PersonQuery, qnat string, c candidate) string {
	p := &x.persons[rec.person]
	var pairs []pairing
	toks := x.tokens[rec.tokStart : rec.tokStart+uint32(rec.tokLen)]
	x.scoreName(s, toks, q.Truncated, &pairs)
	var b strings.Builder
	n := p.Names[rec.variant]
	listed := n.String()
	if rec.original {
		listed = strings.TrimSpace(n.OriginalPrimary + ", " + n.OriginalSecondary)
	}
	fmt.Fprintf(&b, "score %.2f on list %q (%s): name %.2f against ", c.score, p.List, p.Reason, c.nscore)
	switch {
	case rec.original:
		fmt.Fprintf(&b, "the transliterated original-script name %q", listed)
	case rec.variant > 0:
		fmt.Fprintf(&b, "alias %q", listed)
	default:
		fmt.Fprintf(&b, "%q", listed)
	}
	var parts []string
	swapped := 0
	qUsed := make([]bool, len(s.qtoks))
	eUsed := make([]bool, len(toks))
	for _, pr := range pairs {
		qt := s.qtoks[pr.q]
		v := x.vocab[toks[pr.e]&^secondaryBit]
		qUsed[pr.q], eUsed[pr.e] = true, true
		if qt.secondary != (toks[pr.e]&secondaryBit != 0) {
			swapped++
		}
		switch {
		case qt.prefix && len(qt.spell) < len(v.spell) && strings.HasPrefix(v.spell, qt.spell):
			parts = append(parts, fmt.Sprintf("%s is the start of %s (name cut in the MRZ)", qt.spell, v.spell))
		case pr.sim == 1 && qt.spell == v.spell:
			parts = append(parts, qt.spell+" matches")
		case pr.sim == 1:
			parts = append(parts, fmt.Sprintf("%s matches %s", qt.spell, v.spell))
		default:
			parts = append(parts, fmt.Sprintf("%s ~ %s (spelling variant, %.2f)", qt.spell, v.spell, pr.sim))
		}
	}
	for i, qt := range s.qtoks {
		if !qUsed[i] {
			parts = append(parts, qt.spell+" on the document is not in the listed name")
		}
	}
	for j, tok := range toks {
		if !eUsed[j] {
			parts = append(parts, x.vocab[tok&^secondaryBit].spell+" of the listed name is not on the document")
		}
	}
	if swapped > 0 && swapped*2 >= len(pairs) {
		parts = append(parts, "surname and given names in swapped order")
	}
	if len(parts) > 0 {
		b.WriteString(" (names in canonical spelling: " + strings.Join(parts, "; ") + ")")
	}
	b.WriteString("; " + datePhrase(p.BirthDate, q.BirthDate))
	if phrase := natPhrase(p.Nationality, qnat); phrase != "" {
		b.WriteString("; " + phrase)
	}
	return b.String()
}
