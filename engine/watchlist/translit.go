package watchlist

import (
	"strings"

	"checkpost/mrz"
)

// arabicDigraphs reads the X-prefixed digraphs that Doc 9303 Part 3 (and
// mrz.Transliterate) writes for Arabic and Persian letters without a Latin
// counterpart as the letters the usual Latin spellings use: XKH (kha) as
// KH, XSH (shin) as SH, XH (ha) as H, XTA (ta marbuta) as A, the hamza XE
// not at all, and so on. Longer digraphs come first: at one position the
// first that matches wins.
var arabicDigraphs = strings.NewReplacer(
	"XKH", "KH", "XTH", "TH", "XDH", "DH", "XSH", "SH", "XSS", "S", "XDZ", "D",
	"XTT", "T", "XZZ", "Z", "XAA", "A", "XAE", "A", "XTA", "A", "XAY", "A",
	"XCH", "CH", "XZH", "ZH",
	"XH", "H", "XE", "", "XI", "I", "XP", "P", "XG", "G",
)

// transliterate turns a name in another script, or with diacritics, into
// Latin upper case with mrz.Transliterate, then reads its Arabic digraphs.
// Arabic script writes no short vowels (محمد gives MHMD): the skeleton keys
// still agree with MUHAMMAD, and tokenSimilarity charges little for the
// missing vowels.
func transliterate(s string) string {
	return arabicDigraphs.Replace(mrz.Transliterate(s))
}
