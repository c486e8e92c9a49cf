package nistitl

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/biometric"
	"checkpost/internal/shareddata"
)

func parseFile(t *testing.T, name string) (*Transaction, []Fingerprint) {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, "fingerprints/nist/"+name))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	fps, err := tr.Fingerprints()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tr, fps
}

func TestTranscriptions(t *testing.T) {
	cases := []struct {
		file             string
		records, fingers int
		recordType       int
		positions        string
	}{
		{"type-4-tpcard.an2", 16, 14, 4, "1 2 3 4 5 6 7 8 9 10 14 12 11 13"},
		{"type-14-tpcard-nqm.an2", 16, 14, 14, "1 2 3 4 5 6 7 8 9 10 14 12 11 13"},
		{"type-4-slaps.an2", 6, 4, 4, "14 12 11 13"},
		{"type-9-14-std.an2", 4, 1, 14, "8"},
	}
	for _, c := range cases {
		tr, fps := parseFile(t, c.file)
		if len(tr.Records) != c.records || len(fps) != c.fingers {
			t.Errorf("%s: %d records, %d fingerprints; want %d, %d", c.file, len(tr.Records), len(fps), c.records, c.fingers)
			continue
		}
		var pos []string
		for _, f := range fps {
			pos = append(pos, fmt.Sprint(f.Positions[0]))
			if f.RecordType != c.recordType || f.PPI != 500 {
				t.Errorf("%s record %d: type %d, %v ppi", c.file, f.Record, f.RecordType, f.PPI)
			}
			im, err := f.Image()
			if err != nil {
				t.Errorf("%s: %v", c.file, err)
				continue
			}
			if im.Gray.Bounds() != image.Rect(0, 0, f.Width, f.Height) || !im.PPIKnown || im.PPI != 500 {
				t.Errorf("%s record %d: image %v at %v ppi (known %v), record says %dx%d", c.file, f.Record, im.Gray.Bounds(), im.PPI, im.PPIKnown, f.Width, f.Height)
			}
		}
		if got := strings.Join(pos, " "); got != c.positions {
			t.Errorf("%s: positions %s, want %s", c.file, got, c.positions)
		}
		if tr.Version != "0400" {
			t.Errorf("%s: version %q", c.file, tr.Version)
		}
	}
}

// TestTenprintImages checks the tenprint card's 10 rolled and 4 plain
// images against the reference decodes of the same WSQ files
// (wsq/nist-fp-N.png is finger position N), and that the type-4 and
// type-14 transcriptions of the card give the same pixels.
func TestTenprintImages(t *testing.T) {
	_, t4 := parseFile(t, "type-4-tpcard.an2")
	_, t14 := parseFile(t, "type-14-tpcard-nqm.an2")
	rolled, plain := 0, 0
	for i, f := range t4 {
		im4, err := f.Image()
		if err != nil {
			t.Fatal(err)
		}
		im14, err := t14[i].Image()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(im4.Gray.Pix, im14.Gray.Pix) {
			t.Errorf("position %d: type-4 and type-14 images differ", f.Positions[0])
		}
		switch f.Impression {
		case 1, 3:
			rolled++
		case 0, 2:
			plain++
		}
		ref := shareddata.Path(t, fmt.Sprintf("fingerprints/wsq/nist-fp-%d.png", f.Positions[0]))
		fh, err := os.Open(ref)
		if err != nil {
			t.Fatal(err)
		}
		want, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want.Bounds() != im4.Gray.Bounds() {
			t.Errorf("position %d: %v, reference %v", f.Positions[0], im4.Gray.Bounds(), want.Bounds())
			continue
		}
		worst := 0
		for y := 0; y < f.Height; y++ {
			for x := 0; x < f.Width; x++ {
				r, _, _, _ := want.At(x, y).RGBA()
				d := int(im4.Gray.GrayAt(x, y).Y) - int(r>>8)
				worst = max(worst, d, -d)
			}
		}
		if worst > 1 {
			t.Errorf("position %d: %d grey levels from the reference decode", f.Positions[0], worst)
		}
	}
	if rolled != 10 || plain != 4 {
		t.Errorf("%d rolled and %d plain impressions, want 10 and 4", rolled, plain)
	}
}

// buildTransaction writes a small transaction: type-1, type-2, a type-4
// record with uncompressed pixels and a type-14 record holding a PNG.
func buildTransaction(t testing.TB) []byte {
	gs, rs, us, fs := string(rune(GS)), string(rune(RS)), string(rune(US)), string(rune(FS))
	tagged := func(typ int, fields []string, data []byte) []byte {
		// The length field counts itself: iterate until it is stable.
		n := 0
		for {
			body := fmt.Sprintf("%d.001:%d", typ, n)
			for _, f := range fields {
				body += gs + f
			}
			rec := []byte(body)
			if data != nil {
				rec = append(rec, []byte(gs+fmt.Sprintf("%d.999:", typ))...)
				rec = append(rec, data...)
			}
			rec = append(rec, fs...)
			if len(rec) == n {
				return rec
			}
			n = len(rec)
		}
	}
	var out []byte
	out = append(out, tagged(1, []string{"1.002:0400", "1.003:1" + us + "3" + rs + "2" + us + "00" + rs + "4" + us + "01" + rs + "14" + us + "02",
		"1.011:19.69", "1.012:19.69"}, nil)...)
	out = append(out, tagged(2, []string{"2.002:00"}, nil)...)
	w, h := 6, 4
	pix := make([]byte, w*h)
	for i := range pix {
		pix[i] = byte(i * 10)
	}
	t4 := make([]byte, 18, 18+len(pix))
	t4 = append(t4, pix...)
	n := len(t4)
	t4[0], t4[1], t4[2], t4[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	t4[4], t4[5] = 1, 1                                // IDC, rolled live-scan
	copy(t4[6:12], []byte{7, 255, 255, 255, 255, 255}) // left index
	t4[12], t4[13], t4[14], t4[15], t4[16], t4[17] = 0, 0, byte(w), 0, byte(h), 0
	out = append(out, t4...)
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []byte{1, 2, 3, 4, 5, 6})
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	out = append(out, tagged(14, []string{"14.002:02", "14.003:0", "14.004:TEST", "14.005:20240101", "14.006:3", "14.007:2",
		"14.008:1", "14.009:1000", "14.010:1000", "14.011:PNG", "14.012:8", "14.013:2"}, b.Bytes())...)
	return out
}

func TestSyntheticTransaction(t *testing.T) {
	data := buildTransaction(t)
	tr, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	fps, err := tr.Fingerprints()
	if err != nil || len(fps) != 2 {
		t.Fatalf("%d fingerprints, %v", len(fps), err)
	}
	raw, err := fps[0].Image()
	if err != nil {
		t.Fatal(err)
	}
	if fps[0].Position() != biometric.LeftIndex || raw.PPI != 500 || raw.Gray.Pix[23] != 230 || raw.Gray.Bounds().Dx() != 6 {
		t.Errorf("type-4: %v, %v ppi, %v", fps[0].Position(), raw.PPI, raw.Gray.Pix)
	}
	pngIm, err := fps[1].Image()
	if err != nil {
		t.Fatal(err)
	}
	if fps[1].Position() != biometric.RightIndex || pngIm.PPI != 1000 || pngIm.Gray.Pix[5] != 6 {
		t.Errorf("type-14: %v, %v ppi, %v", fps[1].Position(), pngIm.PPI, pngIm.Gray.Pix)
	}
	// Every truncation is an error, not a panic.
	for n := 0; n < len(data)-1; n++ {
		if _, err := Parse(data[:n]); err == nil {
			t.Fatalf("transaction cut to %d of %d bytes accepted", n, len(data))
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{"", "2.001:5", "1.001:999999" + string(rune(FS)), "1.001:12\x1d1.003:1\x1c"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	files, _ := filepath.Glob(filepath.Join(shareddata.Dir(t), "fingerprints/nist/*.an2"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		// A lying record length inside the file.
		bad := bytes.Replace(data, []byte("2.001:57"), []byte("2.001:58"), 1)
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s with a wrong type-2 length accepted", filepath.Base(f))
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(buildTransaction(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(data)
		if err != nil {
			return
		}
		fps, err := tr.Fingerprints()
		if err != nil {
			return
		}
		for _, fp := range fps {
			_, _ = fp.Image()
		}
	})
}
