package watchlist

// transliterate turns a name in another script, or with diacritics, into
// Latin upper case. Until the mrz package's transliteration lands it keeps
// the ASCII letters only.
var transliterate = func(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] < 0x80 {
			b = append(b, s[i])
		} else {
			b = append(b, ' ')
		}
	}
	return string(b)
}
