package web_test

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/native"
)

// How the probe finger is shown (one environment: its accounts cost a
// memory-hard hash each).
func TestProbeFinger(t *testing.T) {
	e := newEnv(t)
	t.Run("template drawn", func(t *testing.T) { probeTemplateIsDrawn(t, e) })
	t.Run("rings scaled", func(t *testing.T) { probeRingsScaledToTheImage(t, e) })
}

// A finger sent as a template (no image) is drawn on the case page from
// its minutiae, labelled as a drawing, with the report's matched minutiae
// ringed and numbered.
func probeTemplateIsDrawn(t *testing.T, e *env) {
	tpl := biometric.Template{Width: 320, Height: 400, ResolutionPPI: 500, Position: biometric.RightIndex}
	for i := range 25 {
		a := float64(i) * 0.9
		tpl.Minutiae = append(tpl.Minutiae, biometric.Minutia{X: 160 + int(110*math.Cos(a)), Y: 200 + int(140*math.Sin(a)), Angle: math.Mod(a, 2*math.Pi), Type: biometric.MinutiaEnding})
	}
	data, err := native.Encode(&tpl)
	if err != nil {
		t.Fatal(err)
	}
	e.finger = data
	id := e.submit(e.counter, "C7", "REFER LH123", "exit")
	sup := e.browser()
	sup.signIn("sup", testPassword, "")
	page := sup.get("/ui/cases/" + id)
	if page.Code != 200 {
		t.Fatalf("case page: %d", page.Code)
	}
	drawing := regexp.MustCompile(`(?s)<div class="drawing"><svg.*?</svg>`).FindString(page.Body)
	if drawing == "" {
		t.Fatalf("no drawing of the probe template on the case page")
	}
	if n := strings.Count(drawing, `r="4"`); n != len(tpl.Minutiae) {
		t.Errorf("%d minutiae drawn, want %d", n, len(tpl.Minutiae))
	}
	// The made-up report pairs one minutia, at (100, 120) on the probe.
	if !strings.Contains(drawing, `class="pair-ring"`) || !strings.Contains(drawing, `cx="100.0" cy="120.0"`) || !strings.Contains(drawing, "Template drawing") {
		t.Errorf("probe drawing: %.600s", drawing)
	}
}

// The pairs are at 500 ppi: on a probe image of another resolution (a
// PNG stating 1000 ppi) the rings are scaled onto the image as submitted.
func probeRingsScaledToTheImage(t *testing.T, e *env) {
	data := withPPI(t, fingerImage(), 1000)
	fi, err := biometric.DecodeImageBytes(data, biometric.ImageOptions{})
	if err != nil || math.Abs(fi.PPI-1000) > 1 {
		t.Fatalf("test image: %v ppi, %v", fi.PPI, err)
	}
	e.finger = data
	id := e.submit(e.counter, "C7", "REFER LH123", "exit")
	sup := e.browser()
	sup.signIn("sup", testPassword, "")
	page := sup.get("/ui/cases/" + id)
	// The made-up report's pair is at (100, 120) at 500 ppi.
	re := regexp.MustCompile(`<circle cx="([0-9.]+)" cy="([0-9.]+)" r="9" class="pair-ring"`)
	m := re.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatal("no ring on the probe image")
	}
	x, _ := strconv.ParseFloat(m[1], 64)
	y, _ := strconv.ParseFloat(m[2], 64)
	if math.Abs(x-100*fi.PPI/500) > 0.5 || math.Abs(y-120*fi.PPI/500) > 0.5 {
		t.Errorf("ring at (%v, %v) on a %v-ppi image, want (%v, %v)", x, y, fi.PPI, 100*fi.PPI/500, 120*fi.PPI/500)
	}
}

// withPPI adds a pHYs chunk (pixels per metre) after a PNG's header.
func withPPI(t *testing.T, png []byte, ppi float64) []byte {
	t.Helper()
	const ihdrEnd = 8 + 8 + 13 + 4
	ppm := uint32(math.Round(ppi / 0.0254))
	body := binary.BigEndian.AppendUint32([]byte("pHYs"), ppm)
	body = binary.BigEndian.AppendUint32(body, ppm)
	body = append(body, 1)
	chunk := binary.BigEndian.AppendUint32(nil, 9)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	out := append([]byte{}, png[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, png[ihdrEnd:]...)
}
