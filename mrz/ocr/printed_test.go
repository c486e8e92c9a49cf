package ocr

import (
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"checkpost/devices/sim"
	"checkpost/mrz"
)

// zonePage draws MRZ lines in OCR-B, as a card prints them: pitch ppi/10,
// lines 1/6 inch apart (or spacing pitches when not 0), ink on light paper, with the given margins in
// pitches around the characters (0 puts the zone flush with the image's
// edge). over, when set, draws on the ink mask before it is printed (a
// stamp across the characters).
func zonePage(t testing.TB, lines []string, ppi, spacingPitches float64, left, top, right, bottom float64, over func(a *image.Alpha, pitch, x0, baseline0, spacing float64)) *image.Gray {
	t.Helper()
	font, err := sim.LoadOCRB()
	if err != nil {
		t.Skip(err)
	}
	pitch, spacing := ppi/10, ppi/6
	if spacingPitches > 0 {
		spacing = spacingPitches * pitch
	}
	w := int((left + float64(len(lines[0])) + right) * pitch)
	h := int((top+bottom)*pitch + float64(len(lines))*spacing)
	a := image.NewAlpha(image.Rect(0, 0, w, h))
	x0 := left * pitch
	base0 := top*pitch + font.CapHeight(pitch) + (spacing-font.CapHeight(pitch))/2
	for i, l := range lines {
		for k, c := range l {
			if err := font.Draw(a, c, pitch, x0+float64(k)*pitch, base0+float64(i)*spacing); err != nil {
				t.Fatal(err)
			}
		}
	}
	if over != nil {
		over(a, pitch, x0, base0, spacing)
	}
	const paper, ink = 232, 25
	g := image.NewGray(a.Rect)
	for i, v := range a.Pix {
		g.Pix[i] = uint8(paper - (paper-ink)*int(v)/255)
	}
	return g
}

func generated(t testing.TB, d mrz.Document) []string {
	t.Helper()
	lines, err := mrz.Generate(d)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// Document codes as issuers print them: a TD1 whose code is C1 (a digit
// where Doc 9303 puts a letter, as on US permanent resident cards) is read
// as printed, valid, with the warning; the repair used to force it to CI.
func TestReadDocumentCodeDigit(t *testing.T) {
	r, _ := setup(t)
	for _, code := range []string{"C1", "A3", "I2"} {
		lines := generated(t, mrz.Document{Format: mrz.TD1, DocumentCode: code, IssuingState: "USA", DocumentNumber: "SRC0098765",
			OptionalData: "EAC97300", Surname: "DOE", GivenNames: "JANE<ANN", Nationality: "CAN", BirthDate: date(1980, 3, 4),
			Sex: "F", ExpiryDate: date(2031, 5, 6)})
		for _, ppi := range []float64{300, 200} {
			res, err := r.ReadImage(context.Background(), zonePage(t, lines, ppi, 0, 3, 3, 3, 3, nil))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Found || !sameLines(res.Lines, lines) {
				t.Errorf("code %s at %v ppi: read\n%s\nwant\n%s", code, ppi, strings.Join(res.Lines, "\n"), strings.Join(lines, "\n"))
				continue
			}
			if !res.Valid || !res.MRZ.Warnings.Has(mrz.WarnDigitInDocumentCode) {
				t.Errorf("code %s at %v ppi: valid %v, warnings %v", code, ppi, res.Valid, res.MRZ.Warnings.List())
			}
		}
	}
}

// A stamp printed across the first character of the zone (the vertical
// SPECIMEN of some cards) makes the I of the document code look like a T:
// the format allows only A, C or I there, and the classifier's best of
// those is taken.
func TestReadDocumentCodeOverprinted(t *testing.T) {
	r, _ := setup(t)
	lines := generated(t, mrz.Document{Format: mrz.TD1, DocumentCode: "ID", IssuingState: "LIE", DocumentNumber: "ID9875401",
		Surname: "OSPELTBECK", GivenNames: "MARISA", Nationality: "LIE", BirthDate: date(1982, 5, 12), Sex: "F", ExpiryDate: date(2029, 6, 22)})
	bar := func(a *image.Alpha, pitch, x0, base0, spacing float64) {
		// A stroke across the top of the first cell, wider than the I.
		y0 := int(base0 - 0.95*pitch*1.15)
		for y := y0; y < y0+int(0.18*pitch); y++ {
			for x := int(x0 - 0.1*pitch); x < int(x0+0.75*pitch); x++ {
				if image.Pt(x, y).In(a.Rect) {
					a.Pix[a.PixOffset(x, y)] = 255
				}
			}
		}
	}
	res, err := r.ReadImage(context.Background(), zonePage(t, lines, 300, 0, 3, 3, 3, 3, bar))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || !sameLines(res.Lines, lines) || !res.Valid {
		t.Fatalf("read\n%s\nwant\n%s\n(read as %q, first cell %+v)", strings.Join(res.Lines, "\n"), strings.Join(lines, "\n"), res.Read, res.Chars[0][0])
	}
}

// A check digit printed wrong (specimens do it on purpose, forgeries by
// mistake) and read with confidence stays as printed, even when one of the
// classifier's faint runners-up would satisfy it; a runner-up the
// classifier finds plausible is taken.
func TestRepairKeepsConfidentCheckDigit(t *testing.T) {
	r, _ := setup(t)
	lines := generated(t, mrz.Document{Format: mrz.TD1, DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890",
		Surname: "ERIKSSON", GivenNames: "ANNA", Nationality: "UTO", BirthDate: date(1974, 8, 12), Sex: "F", ExpiryDate: date(2032, 4, 15)})
	const col = 14 // the document number's check digit
	right := lines[0][col]
	wrong := byte('0' + (right-'0'+3)%10)
	printed := append([]string(nil), lines...)
	printed[0] = lines[0][:col] + string(wrong) + lines[0][col+1:]
	for _, tc := range []struct {
		pRight float64
		want   []string
	}{
		{0.006, printed}, // odds of 1:165 for the substitution: kept as printed
		{0.2, lines},     // 1:4: repaired
	} {
		res := &Result{Read: printed}
		for _, l := range printed {
			row := make([]Char, len(l))
			for k := range l {
				row[k] = Char{Char: l[k], Confidence: 0.99}
			}
			res.Chars = append(res.Chars, row)
		}
		res.Chars[0][col] = Char{Char: wrong, Confidence: 1 - tc.pRight, Alternatives: []mrz.Candidate{{Char: right, Score: tc.pRight}}}
		r.repairInto(res, nil)
		if !sameLines(res.Lines, tc.want) {
			t.Errorf("runner-up at %v: lines\n%s\nwant\n%s", tc.pRight, strings.Join(res.Lines, "\n"), strings.Join(tc.want, "\n"))
		}
		if res.Valid != sameLines(tc.want, lines) {
			t.Errorf("runner-up at %v: valid %v", tc.pRight, res.Valid)
		}
	}
}

// Old visas print the two lines of the zone far apart (a 1997 Schengen
// visa: 3.3 pitches between the lines' centres, twice the usual): the
// locator pairs lines up to 4 pitches apart.
func TestReadWideLineSpacing(t *testing.T) {
	r, _ := setup(t)
	lines := generated(t, mrz.Document{Format: mrz.MRVB, IssuingState: "D", DocumentNumber: "D09174053", Surname: "DEDIC",
		GivenNames: "SIDNAN", Nationality: "BIH", BirthDate: date(1982, 1, 30), Sex: "M", ExpiryDate: date(2027, 8, 1)})
	for _, sp := range []float64{1.7, 2.6, 3.3, 3.8} {
		res, err := r.ReadImage(context.Background(), zonePage(t, lines, 200, sp, 3, 3, 3, 3, nil))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Found || !sameLines(res.Lines, lines) {
			t.Errorf("lines %.1f pitches apart: found %v (%s), read\n%s\nwant\n%s", sp, res.Found, res.Reason, strings.Join(res.Lines, "\n"), strings.Join(lines, "\n"))
		}
	}
}

// Phone photos in strong perspective: the characters' height no longer
// tells the pitch (the far side is foreshortened), and the centroids of
// different glyphs scatter about the line; the locator used to follow a
// line at twice its pitch (every other character) or lose it.
func TestReadStrongPerspective(t *testing.T) {
	r, s := setup(t)
	for i, tc := range []struct {
		model, degrade string
	}{
		{"uto-visa", "perspective:0.78,resolution:150"},
		{"uto-passport", "perspective:0.8,jpeg:35"},
		{"uto-passport", "perspective:0.8"},
		{"uto-id-card", "perspective:0.8"},
		{"uto-visa", "perspective:0.8,light:0.6"},
	} {
		seed := uint64(9050 + i)
		c := renderCap(t, s, tc.model, seed, tc.degrade, 300)
		res, err := r.ReadCapture(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Found || !sameLines(res.Lines, c.Truth.MRZ) {
			t.Errorf("%s seed %d %s: found %v (%s), read %q want %q", tc.model, seed, tc.degrade, res.Found, res.Reason, res.Lines, c.Truth.MRZ)
		}
	}
}

// A zone flush with the image's edge (a card cropped tight, a scan of the
// card's back with the zone at its border), even cut into by a fifth of a
// character, is read.
func TestReadZoneAtImageEdge(t *testing.T) {
	r, _ := setup(t)
	lines := generated(t, mrz.Document{Format: mrz.TD1, DocumentCode: "ID", IssuingState: "LIE", DocumentNumber: "ID9875401",
		Surname: "OSPELTBECK", GivenNames: "MARISA", Nationality: "LIE", BirthDate: date(1982, 5, 12), Sex: "F", ExpiryDate: date(2029, 6, 22)})
	for _, m := range [][4]float64{{0, 3, 3, 3}, {3, 3, 0, 3}, {3, 0, 3, 3}, {3, 3, 3, 0}, {0, 3, 3, 0}, {0.2, 0.2, 0.2, 0.2}, {-0.2, 2, 2, 2}} {
		for _, ppi := range []float64{300, 150} {
			res, err := r.ReadImage(context.Background(), zonePage(t, lines, ppi, 0, m[0], m[1], m[2], m[3], nil))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Found || !sameLines(res.Lines, lines) {
				t.Errorf("margins %v (left, top, right, bottom, in pitches) at %v ppi: found %v (%s), read %q", m, ppi, res.Found, res.Reason, res.Lines)
			}
		}
	}
}
