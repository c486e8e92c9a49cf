package watchlist

import (
	"strings"
)

// Names reach the list and the counter in many spellings: the same Urdu,
// Arabic or Persian name is transliterated Mohammad, Muhammad, Mohammed,
// Muhammed; Hussain, Husain, Hussein; Abdul Rahman, Abdulrahman,
// Abdurrahman, Abd al-Rahman. The MRZ writes it in upper case A-Z with '<'
// separators, possibly truncated. Screening therefore compares names in a
// canonical spelling (spell) that removes the differences that carry no
// information, and blocks candidates by a coarser consonant skeleton (key):
//
//   - letters: KH, Q, CK and C (before anything but H) are K; GH is G; PH
//     is F; SH, SCH, CH and TCH are X (one sound, written SH in English and
//     CH in French transliterations); TH is T; DH is Z (Arabic dhal, Urdu
//     and Persian z); DJ and ZH are J; a letter X is KS;
//   - W after a vowel is the vowel U (Dawood, Daud), elsewhere V (Wahid,
//     Vahid); Y is a consonant only at the start before a vowel (Yusuf),
//     elsewhere the vowel I (Husayn, Hussein);
//   - EE is I, OO and OU are U; doubled letters are single (Hussain,
//     Husain; Mohammad, Mohamad); H after B or J (the aspirates BH,
//     JH: Bhatti, Batti) and H closing a name after a vowel (Abdullah,
//     Abdulla) are dropped;
//   - the key further drops the vowels and merges consonants that
//     spellings and readings swap (keyClass: K G Q J Y, T D, F P V), so
//     that Mohammad, Muhammad, Mohammed and Mohamed share the key MHMT, and
//     the remaining differences (O/U, E/A, ...) are weighed by the edit
//     distance in tokenSimilarity.
//
// Whole name parts are handled before the letters:
//   - particles are dropped: the article AL/EL (and its assimilated forms
//     AD, AR, AS, ... when written apart), UL, UD, ED; BIN, IBN, BEN, BINT,
//     BINTI, BINTE (son/daughter of); OULD, WALAD;
//   - ABD, ABDUL, ABDEL, ABDUR, ... join the following part, and the joined
//     or attached forms agree: Abdul Rahman = Abdulrahman = Abdurrahman =
//     Abd al-Rahman (ABDRAHMAN);
//   - ULLAH, ULLA, ALLAH, OLLAH join the preceding part (Rahmat Ullah =
//     Rahmatullah = Rahmatollah), and so do DIN, DEEN, UDDIN, EDDINE (Salah
//     ud Din = Salahuddin = Salaheddine);
//   - the common abbreviations of Muhammad (MD, MOHD, MUHD, MHD) read as
//     MUHAMMAD;
//   - an article attached to the name (ALHASHIMI, ELHACHEMI) is kept, and
//     the name without it is compared as well (see nameToken.alt).

// maxTokenLen bounds the part of a name token that is compared.
const maxTokenLen = 31

// nameToken is one normalised part of a name.
type nameToken struct {
	spell string // canonical spelling
	alt   string // canonical spelling without an attached article, or ""
	// secondary marks a part of the secondary identifier (given names).
	secondary bool
}

var particles = map[string]bool{
	"AL": true, "EL": true, "UL": true, "UD": true, "ED": true, "AD": true, "AR": true, "AS": true,
	"AT": true, "AZ": true, "AN": true, "ASH": true, "ESH": true,
	"BIN": true, "IBN": true, "BEN": true, "BINT": true, "BINTI": true, "BINTE": true,
	"OULD": true, "WALAD": true,
}

var abdPrefixes = map[string]bool{
	"ABD": true, "ABDUL": true, "ABDEL": true, "ABDOL": true, "ABDAL": true, "ABDU": true,
	"ABDUR": true, "ABDUS": true, "ABDUZ": true, "ABDER": true, "ABDUN": true, "ABDOU": true,
}

var allahForms = map[string]bool{"ULLAH": true, "ULLA": true, "ALLAH": true, "ALLA": true, "OLLAH": true, "OLLA": true, "ULAH": true, "ILLAH": true}

var dinForms = map[string]bool{"DIN": true, "DEEN": true, "DINE": true, "UDDIN": true, "UDDEEN": true, "EDDIN": true, "EDDINE": true, "ALDIN": true, "ADDIN": true, "UDIN": true}

var abbreviations = map[string]string{"MD": "MUHAMMAD", "MOHD": "MUHAMMAD", "MUHD": "MUHAMMAD", "MHD": "MUHAMMAD"}

// latinize turns a name into upper-case Latin letters and separators: MRZ
// names pass unchanged; names in other scripts or with diacritics go
// through transliterate.
func latinize(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		s = transliterate(s)
	}
	return strings.ToUpper(s)
}

// splitName cuts a name into its parts at anything that is not a letter
// A-Z ('<', spaces, hyphens, apostrophes, dots).
func splitName(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' })
}

// tokenizeName normalises one name field (primary or secondary identifier)
// into tokens, appending to dst.
func tokenizeName(dst []nameToken, field string, secondary bool) []nameToken {
	parts := splitName(latinize(field))
	var merged []string
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		if a, ok := abbreviations[p]; ok {
			p = a
		}
		switch {
		case abdPrefixes[p]:
			// Join with the next part that is not a particle.
			j := i + 1
			for j < len(parts) && particles[parts[j]] {
				j++
			}
			if j < len(parts) {
				p = "ABD" + parts[j]
				i = j
			}
		case allahForms[p] && len(merged) > 0:
			merged[len(merged)-1] += "ALLAH"
			continue
		case dinForms[p] && len(merged) > 0:
			merged[len(merged)-1] += "DIN"
			continue
		case particles[p]:
			continue
		}
		merged = append(merged, p)
	}
	for _, p := range merged {
		p = compoundCanon(p)
		t := nameToken{spell: canonicalSpelling(p), secondary: secondary}
		if alt := stripArticle(p); alt != "" {
			t.alt = canonicalSpelling(alt)
		}
		if t.spell != "" {
			dst = append(dst, t)
		}
	}
	return dst
}

// compoundCanon writes the attached compounds one way: ABDULRAHMAN,
// ABDURRAHMAN, ABDELRAHMAN -> ABDRAHMAN; ABDULLAH -> ABDALLAH;
// RAHMATULLAH -> RAHMATALLAH; SALAHUDDIN, SALAHEDDINE -> SALAHDIN.
func compoundCanon(p string) string {
	if strings.HasPrefix(p, "ABD") && len(p) > 4 {
		rest := strings.TrimLeft(p[3:], "AEIOU")
		switch {
		case strings.HasPrefix(rest, "LLAH") || strings.HasPrefix(rest, "LLA") || rest == "LAH":
			return "ABDALLAH"
		case strings.HasPrefix(rest, "L") && len(rest) > 2:
			rest = rest[1:]
		case len(rest) > 2 && rest[0] == rest[1]:
			rest = rest[1:] // the article assimilated to a sun letter: ABDURRAHMAN
		}
		if rest != "" {
			return "ABD" + rest
		}
		return p
	}
	for _, suf := range [...]string{"ULLAH", "ALLAH", "OLLAH", "ILLAH", "ULLA", "ALLA", "OLLA"} {
		if strings.HasSuffix(p, suf) && len(p)-len(suf) >= 3 {
			return p[:len(p)-len(suf)] + "ALLAH"
		}
	}
	for _, suf := range [...]string{"UDDEEN", "EDDINE", "UDDIN", "EDDIN", "ALDIN", "ADDIN", "UDEEN", "UDIN", "EDINE"} {
		if strings.HasSuffix(p, suf) && len(p)-len(suf) >= 3 {
			return p[:len(p)-len(suf)] + "DIN"
		}
	}
	return p
}

// stripArticle returns the name without an attached article (ALHASHIMI ->
// HASHIMI), or "" when it has none. Only long parts whose third letter is a
// consonant qualify, so that ALI, ALAM or ELIAS keep their first letters.
func stripArticle(p string) string {
	if len(p) < 6 || !(strings.HasPrefix(p, "AL") || strings.HasPrefix(p, "EL")) || isVowel(p[2]) {
		return ""
	}
	rest := p[2:]
	if len(rest) > 3 && rest[0] == rest[1] {
		rest = rest[1:] // ALLAHAM? no: ELLAH... an assimilated doubled letter
	}
	return rest
}

func isVowel(c byte) bool {
	switch c {
	case 'A', 'E', 'I', 'O', 'U':
		return true
	}
	return false
}

// canonicalSpelling rewrites an upper-case A-Z name part by the letter
// rules above.
func canonicalSpelling(p string) string {
	if len(p) > maxTokenLen {
		p = p[:maxTokenLen]
	}
	var buf [2 * maxTokenLen]byte
	out := buf[:0]
	at := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	for i := 0; i < len(p); i++ {
		c, n := p[i], at(i+1)
		switch {
		case c == 'S' && n == 'C' && at(i+2) == 'H':
			out = append(out, 'X')
			i += 2
		case c == 'T' && n == 'C' && at(i+2) == 'H':
			out = append(out, 'X')
			i += 2
		case (c == 'S' || c == 'C') && n == 'H':
			out = append(out, 'X')
			i++
		case c == 'K' && n == 'H', c == 'C' && n == 'K':
			out = append(out, 'K')
			i++
		case c == 'G' && n == 'H':
			out = append(out, 'G')
			i++
		case c == 'P' && n == 'H':
			out = append(out, 'F')
			i++
		case c == 'T' && n == 'H':
			out = append(out, 'T')
			i++
		case c == 'D' && n == 'H':
			out = append(out, 'Z')
			i++
		case (c == 'D' && n == 'J') || (c == 'Z' && n == 'H'):
			out = append(out, 'J')
			i++
		case c == 'Q' || c == 'C':
			out = append(out, 'K')
		case c == 'X':
			out = append(out, 'K', 'S')
		case c == 'W':
			if len(out) > 0 && isVowel(out[len(out)-1]) {
				out = append(out, 'U')
			} else {
				out = append(out, 'V')
			}
		case c == 'Y':
			if i == 0 && isVowel(n) {
				out = append(out, 'Y')
			} else {
				out = append(out, 'I')
			}
		case c == 'E' && n == 'E':
			out = append(out, 'I')
			i++
		case c == 'O' && (n == 'O' || n == 'U'):
			out = append(out, 'U')
			i++
		case c == 'H' && len(out) > 0 && (out[len(out)-1] == 'B' || out[len(out)-1] == 'J'):
			// the Urdu aspirates BH, JH (the others are digraphs above);
			// an H after other consonants is kept: Arabic script gives MHMD
		default:
			out = append(out, c)
		}
	}
	// A closing H after a vowel is silent: ABDULLAH, FATIMAH.
	if len(out) > 2 && out[len(out)-1] == 'H' && isVowel(out[len(out)-2]) {
		out = out[:len(out)-1]
	}
	// Doubled letters are single.
	w := 0
	for i := range out {
		if w > 0 && out[w-1] == out[i] {
			continue
		}
		out[w] = out[i]
		w++
	}
	out = out[:w]
	if len(out) > maxTokenLen {
		out = out[:maxTokenLen]
	}
	return string(out)
}

// keyClass merges, for blocking only, consonants that transliterations
// and readings swap: K G Q J and a leading Y (Gamal/Jamal, Gilani/Jilani,
// Yasmin/Jasmin), T D (Ahmet/Ahmed), F P V (Afridi/Apridi, Ivanov/Ivanoff,
// Musavi/Musawi). The edit distance still tells them apart.
var keyClass = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for _, class := range []string{"KGQJY", "TD", "FPV"} {
		for i := 0; i < len(class); i++ {
			t[class[i]] = class[0]
		}
	}
	return t
}()

// skeletonKey is the blocking key of a canonical spelling: its consonants
// merged by keyClass, doubles single. A spelling of vowels only keys as itself
// behind a '~'.
func skeletonKey(spell string) string {
	var buf [maxTokenLen]byte
	out := buf[:0]
	for i := 0; i < len(spell); i++ {
		c := spell[i]
		if isVowel(c) {
			continue
		}
		c = keyClass[c]
		if len(out) > 0 && out[len(out)-1] == c {
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return "~" + spell
	}
	return string(out)
}

// Edit costs of tokenSimilarity. Vowels carry little information in
// transliterated names, so changing, adding or dropping one costs less
// than a consonant; among vowels, O/U and E/I are the usual alternations
// (Mohammad/Muhammad, Hussein/Husain), A/E next (Mohammed/Mohammad).
const (
	costVowelClose   = 0.25 // O<->U, E<->I
	costVowelNear    = 0.35 // A<->E
	costVowelFar     = 0.6  // any other pair of vowels
	costVowelIndel   = 0.4
	costHIndel       = 0.5 // an H added or dropped (Mohammad/Moammad)
	costConsonantSim = 0.5 // K/G, S/Z, T/D, V/F, B/P, J/Z, M/N
	costConsonant    = 1.0 // any other substitution, insertion or deletion
)

func substCost(a, b byte) float32 {
	if a == b {
		return 0
	}
	va, vb := isVowel(a), isVowel(b)
	switch {
	case va && vb:
		if a > b {
			a, b = b, a
		}
		switch {
		case a == 'O' && b == 'U', a == 'E' && b == 'I':
			return costVowelClose
		case a == 'A' && b == 'E':
			return costVowelNear
		}
		return costVowelFar
	case va || vb:
		return costConsonant
	}
	if a > b {
		a, b = b, a
	}
	switch string([]byte{a, b}) {
	case "GK", "SZ", "DT", "FV", "BP", "JZ", "MN", "SX":
		return costConsonantSim
	}
	return costConsonant
}

// spellingWeight is the length against which a distance is measured: a
// vowel counts half, as it costs at most about half a consonant to change.
func spellingWeight(s string) float32 {
	var w float32
	for i := 0; i < len(s); i++ {
		if isVowel(s[i]) {
			w += 0.5
		} else {
			w++
		}
	}
	return w
}

func indelCost(c byte) float32 {
	switch {
	case isVowel(c):
		return costVowelIndel
	case c == 'H':
		return costHIndel
	}
	return costConsonant
}

// tokenSimilarity compares two canonical spellings: 1 - weighted edit
// distance / length of the longer. With prefix set, a is compared with the
// best prefix of b (a truncated MRZ name part) and the distance is divided
// by len(a). It allocates nothing.
func tokenSimilarity(a, b string, prefix bool) float32 {
	if a == b {
		return 1
	}
	if len(a) > maxTokenLen {
		a = a[:maxTokenLen]
	}
	if len(b) > maxTokenLen {
		b = b[:maxTokenLen]
	}
	var rowA, rowB [maxTokenLen + 1]float32
	prev, cur := rowA[:len(b)+1], rowB[:len(b)+1]
	prev[0] = 0
	for j := 1; j <= len(b); j++ {
		prev[j] = prev[j-1] + indelCost(b[j-1])
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = prev[0] + indelCost(a[i-1])
		for j := 1; j <= len(b); j++ {
			d := prev[j-1] + substCost(a[i-1], b[j-1])
			if v := prev[j] + indelCost(a[i-1]); v < d {
				d = v
			}
			if v := cur[j-1] + indelCost(b[j-1]); v < d {
				d = v
			}
			cur[j] = d
		}
		prev, cur = cur, prev
	}
	dist := prev[len(b)]
	n := max(spellingWeight(a), spellingWeight(b))
	if prefix {
		for j := 0; j < len(b); j++ {
			dist = min(dist, prev[j])
		}
		n = spellingWeight(a)
	}
	if n == 0 {
		return 0
	}
	s := 1 - dist/n
	if s < 0 {
		return 0
	}
	return s
}
