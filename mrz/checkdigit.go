package mrz

// charValue holds the value of each MRZ character for check digits
// (Doc 9303 Part 3 §4.9): digits their value, A-Z 10-35, the filler < 0;
// -1 marks characters that are not MRZ characters.
var charValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = int8(c-'A') + 10
	}
	t['<'] = 0
	return t
}()

var weights = [3]int{7, 3, 1}

// CheckDigit computes the ICAO 7-3-1 check digit of s (characters 0-9,
// A-Z and <) and returns it as '0'..'9'; ok is false when s has another
// character.
func CheckDigit(s string) (digit byte, ok bool) {
	sum := 0
	for i := 0; i < len(s); i++ {
		v := charValue[s[i]]
		if v < 0 {
			return 0, false
		}
		sum += int(v) * weights[i%3]
	}
	return byte('0' + sum%10), true
}

// checkSum is the running weighted sum used when a check digit covers
// several pieces (composite check digits, long document numbers): the
// weight of each character depends on its position in the whole sequence.
type checkSum struct {
	sum, pos int
	bad      bool
}

func (c *checkSum) add(s string) {
	for i := 0; i < len(s); i++ {
		v := charValue[s[i]]
		if v < 0 {
			c.bad = true
			v = 0
		}
		c.sum += int(v) * weights[c.pos%3]
		c.pos++
	}
}

func (c *checkSum) digit() byte { return byte('0' + c.sum%10) }

// Character classes of the fields: what a field may contain.
type charClass uint8

const (
	classAlpha   charClass = iota + 1 // A-Z and <
	classNumeric                      // 0-9 and <
	classAlnum                        // A-Z, 0-9 and <
)

func (c charClass) allows(b byte) bool {
	switch c {
	case classAlpha:
		return b == '<' || b >= 'A' && b <= 'Z'
	case classNumeric:
		return b == '<' || b >= '0' && b <= '9'
	case classAlnum:
		return b == '<' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	return false
}

// firstOutside returns the index of the first character of s that class c
// does not allow, or -1.
func firstOutside(s string, c charClass) int {
	for i := 0; i < len(s); i++ {
		if !c.allows(s[i]) {
			return i
		}
	}
	return -1
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' }

// trimFiller removes the fillers at the end of s.
func trimFiller(s string) string {
	n := len(s)
	for n > 0 && s[n-1] == '<' {
		n--
	}
	return s[:n]
}

func allFiller(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			return false
		}
	}
	return true
}
