package web_test

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/native"
)

// A finger sent as a template (no image) is drawn on the case page from
// its minutiae, labelled as a drawing, with the report's matched minutiae
// ringed and numbered.
func TestProbeTemplateIsDrawn(t *testing.T) {
	e := newEnv(t)
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
