package mrz

import (
	"sort"
	"strings"
	"testing"

	"checkpost/internal/shareddata"
)

// TestCodeTable compares the code table in the code with
// ../shared/data/mrz/icao_codes.tsv (code, name, source): every code of
// ISO 3166-1 and Doc 9303 Part 3 is valid, those the file marks non-ICAO
// are not valid but known, and nothing else is valid.
func TestCodeTable(t *testing.T) {
	rows := readTSV(t, shareddata.Path(t, "mrz/icao_codes.tsv"))
	want := map[string]bool{}
	for _, row := range rows {
		code := row[0]
		for len(code) < 3 {
			code += "<"
		}
		if strings.Contains(row[2], "non-ICAO") {
			if ValidCode(code) || !nonICAO.has(code) {
				t.Errorf("%s (%s): non-ICAO code should be invalid but known", code, row[1])
			}
			continue
		}
		want[code] = true
		if !ValidCode(code) {
			t.Errorf("%s (%s, %s) is missing from the table", code, row[1], row[2])
		}
	}
	var extra []string
	for _, c := range ValidCodes() {
		if !want[c] {
			extra = append(extra, c)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("codes in the table but not in icao_codes.tsv: %v", extra)
	}
	if got := len(ValidCodes()); got != len(want) {
		t.Errorf("%d codes in the table, %d in the file (duplicates?)", got, len(want))
	}
	for _, c := range []string{"DE<", "ZZZ", "D<", "FR", "fra", "<<<"} {
		if ValidCode(c) {
			t.Errorf("%q accepted", c)
		}
	}
}
