package mrz

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// translit maps upper-case letters outside A-Z to MRZ characters, after the
// recommended transliterations of Doc 9303 Part 3 §6: Latin letters with
// diacritics lose the mark, except the national characters that ICAO
// writes with two letters (Ä AE, Å AA, Æ AE, Ö OE, Ø OE, Ü UE, ß SS,
// Þ TH, Œ OE, Ĳ IJ); Cyrillic and Arabic letter by letter per its tables
// (Arabic letters without a Latin counterpart get an X-prefixed digraph so
// that the original can be recovered).
var translit = map[rune]string{
	// Latin-1 supplement.
	'À': "A", 'Á': "A", 'Â': "A", 'Ã': "A", 'Ä': "AE", 'Å': "AA", 'Æ': "AE", 'Ç': "C",
	'È': "E", 'É': "E", 'Ê': "E", 'Ë': "E", 'Ì': "I", 'Í': "I", 'Î': "I", 'Ï': "I",
	'Ð': "D", 'Ñ': "N", 'Ò': "O", 'Ó': "O", 'Ô': "O", 'Õ': "O", 'Ö': "OE", 'Ø': "OE",
	'Ù': "U", 'Ú': "U", 'Û': "U", 'Ü': "UE", 'Ý': "Y", 'Þ': "TH", 'ß': "SS", 'ẞ': "SS", 'Ÿ': "Y",
	// Latin extended-A (and the comma-below letters of Romanian).
	'Ā': "A", 'Ă': "A", 'Ą': "A", 'Ć': "C", 'Ĉ': "C", 'Ċ': "C", 'Č': "C", 'Ď': "D", 'Đ': "D",
	'Ē': "E", 'Ĕ': "E", 'Ė': "E", 'Ę': "E", 'Ě': "E", 'Ĝ': "G", 'Ğ': "G", 'Ġ': "G", 'Ģ': "G",
	'Ĥ': "H", 'Ħ': "H", 'Ĩ': "I", 'Ī': "I", 'Ĭ': "I", 'Į': "I", 'İ': "I", 'ı': "I", 'Ĳ': "IJ",
	'Ĵ': "J", 'Ķ': "K", 'ĸ': "K", 'Ĺ': "L", 'Ļ': "L", 'Ľ': "L", 'Ŀ': "L", 'Ł': "L",
	'Ń': "N", 'Ņ': "N", 'Ň': "N", 'ŉ': "N", 'Ŋ': "N", 'Ō': "O", 'Ŏ': "O", 'Ő': "O", 'Œ': "OE",
	'Ŕ': "R", 'Ŗ': "R", 'Ř': "R", 'Ś': "S", 'Ŝ': "S", 'Ş': "S", 'Š': "S", 'Ș': "S",
	'Ţ': "T", 'Ť': "T", 'Ŧ': "T", 'Ț': "T", 'Ũ': "U", 'Ū': "U", 'Ŭ': "U", 'Ů': "U", 'Ű': "U", 'Ų': "U",
	'Ŵ': "W", 'Ŷ': "Y", 'Ź': "Z", 'Ż': "Z", 'Ž': "Z", 'ſ': "S", 'Ơ': "O", 'Ư': "U",
	// Cyrillic.
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E", 'Ж': "ZH", 'З': "Z",
	'И': "I", 'Й': "I", 'К': "K", 'Л': "L", 'М': "M", 'Н': "N", 'О': "O", 'П': "P", 'Р': "R",
	'С': "S", 'Т': "T", 'У': "U", 'Ф': "F", 'Х': "KH", 'Ц': "TS", 'Ч': "CH", 'Ш': "SH",
	'Щ': "SHCH", 'Ъ': "IE", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "IU", 'Я': "IA",
	'Ґ': "G", 'Є': "IE", 'І': "I", 'Ї': "I", 'Ў': "U", // Ukrainian, Belarusian
	'Ђ': "D", 'Ѓ': "G", 'Ѕ': "DZ", 'Ј': "J", 'Љ': "LJ", 'Њ': "NJ", 'Ћ': "C", 'Ќ': "K", 'Џ': "DZ", // Serbian, Macedonian
	// Arabic.
	'ء': "XE", 'آ': "XAA", 'أ': "XAE", 'ؤ': "U", 'إ': "I", 'ئ': "XI", 'ا': "A", 'ب': "B",
	'ة': "XTA", 'ت': "T", 'ث': "XTH", 'ج': "J", 'ح': "XH", 'خ': "XKH", 'د': "D", 'ذ': "XDH",
	'ر': "R", 'ز': "Z", 'س': "S", 'ش': "XSH", 'ص': "XSS", 'ض': "XDZ", 'ط': "XTT", 'ظ': "XZZ",
	'ع': "E", 'غ': "G", 'ف': "F", 'ق': "Q", 'ك': "K", 'ل': "L", 'م': "M", 'ن': "N",
	'ه': "H", 'و': "W", 'ى': "XAY", 'ي': "Y",
	'پ': "XP", 'چ': "XCH", 'ژ': "XZH", 'گ': "XG", // Persian letters
	// Greek, letter by letter as ELOT 743 (the Greek passports' MRZ) does;
	// accented letters reach here without their tonos (see baseLetter).
	'Α': "A", 'Β': "V", 'Γ': "G", 'Δ': "D", 'Ε': "E", 'Ζ': "Z", 'Η': "I", 'Θ': "TH",
	'Ι': "I", 'Κ': "K", 'Λ': "L", 'Μ': "M", 'Ν': "N", 'Ξ': "X", 'Ο': "O", 'Π': "P",
	'Ρ': "R", 'Σ': "S", 'Τ': "T", 'Υ': "Y", 'Φ': "F", 'Χ': "CH", 'Ψ': "PS", 'Ω': "O",
}

// baseLetter strips the combining marks of r's canonical decomposition
// (Ḥ is H with a dot below, Ά is Α with tonos), so that letters the table
// does not list keep their base letter instead of vanishing.
func baseLetter(r rune) (rune, bool) {
	d := norm.NFD.String(string(r))
	var base rune
	n := 0
	for _, c := range d {
		if unicode.Is(unicode.Mn, c) {
			continue
		}
		base = c
		n++
	}
	if n != 1 || base == r {
		return 0, false
	}
	return base, true
}

// Transliterate turns a name in any script into MRZ characters (Doc 9303
// Part 3): letters upper-cased and transliterated, spaces, hyphens and
// commas into single fillers <, apostrophes and other marks dropped, no
// filler at either end. Letters the tables do not list keep their base
// letter (Ḥ is H); Greek follows ELOT 743. Characters without a
// transliteration (digits, scripts without a table) are dropped. Use it to compare a name from a watchlist
// or the visual zone with the MRZ: Transliterate("Müller-Lüdenscheidt,
// Jürgen") is "MUELLER<LUEDENSCHEIDT<JUERGEN".
func Transliterate(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pendingFiller := false
	emit := func(t string) {
		if t == "" {
			return
		}
		if pendingFiller && b.Len() > 0 {
			b.WriteByte('<')
		}
		pendingFiller = false
		b.WriteString(t)
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r >= 'A' && r <= 'Z':
			emit(string(rune(r)))
			continue
		case r >= 'a' && r <= 'z':
			emit(string(rune(r - 'a' + 'A')))
			continue
		case r == ' ' || r == '-' || r == ',' || r == '<' || r == '\t' || r == '\u00a0' || r == '‐' || r == '–':
			pendingFiller = true
			continue
		case r == 'ß':
			emit("SS")
			continue
		}
		if t, ok := translit[r]; ok {
			emit(t)
			continue
		}
		u := unicode.ToUpper(r)
		if u == 'Ο' && i+1 < len(rs) && greekUpsilon(rs[i+1]) {
			// ΟΥ is one vowel, OU (ELOT 743).
			emit("OU")
			i++
			continue
		}
		if t, ok := translit[u]; ok {
			emit(t)
			continue
		}
		if b, ok := baseLetter(u); ok {
			u = b
		}
		if u >= 'A' && u <= 'Z' {
			emit(string(u))
			continue
		}
		if t, ok := translit[u]; ok {
			emit(t)
		}
		// Anything else (apostrophes, dots, digits, marks, scripts without
		// a table) is dropped, as Doc 9303 drops punctuation from names.
	}
	return b.String()
}

func greekUpsilon(r rune) bool {
	u := unicode.ToUpper(r)
	if b, ok := baseLetter(u); ok {
		u = b
	}
	return u == 'Υ'
}
