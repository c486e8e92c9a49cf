package fmr

import (
	"math"
	"testing"
)

func TestAngleUnits(t *testing.T) {
	cases := []struct {
		rad     float64
		perTurn int
		want    uint8
	}{
		{0, 256, 0}, {math.Pi, 256, 128}, {2*math.Pi - 1e-9, 256, 0}, {-math.Pi / 2, 256, 192},
		{math.Pi, 180, 90}, {2*math.Pi - 0.001, 180, 0}, {112 * math.Pi / 180, 180, 56}, {112.5 * math.Pi / 180, 180, 56},
	}
	for _, c := range cases {
		if got := AngleToUnits(c.rad, c.perTurn); got != c.want {
			t.Errorf("AngleToUnits(%v, %d) = %d, want %d", c.rad, c.perTurn, got, c.want)
		}
	}
	for u := 0; u < 256; u++ {
		if AngleToUnits(AngleFromUnits(uint8(u), 256), 256) != uint8(u) {
			t.Fatalf("ISO unit %d does not round-trip", u)
		}
	}
	for u := 0; u < 180; u++ {
		if AngleToUnits(AngleFromUnits(uint8(u), 180), 180) != uint8(u) {
			t.Fatalf("ANSI unit %d does not round-trip", u)
		}
	}
}

func TestResolution(t *testing.T) {
	if PPCMFromPPI(500) != 197 || PPIFromPPCM(197) != 500 || PPCMFromPPI(1000) != 394 || PPIFromPPCM(394) != 1001 {
		t.Errorf("500 ppi ↔ %d ppcm ↔ %d ppi; 1000 ppi → %d ppcm → %d ppi", PPCMFromPPI(500), PPIFromPPCM(197), PPCMFromPPI(1000), PPIFromPPCM(394))
	}
}

func TestExtendedBlocks(t *testing.T) {
	blocks := []ExtendedBlock{{Type: 1, Data: []byte{0, 1, 2, 3}}, {Type: 0x0101, Data: nil}}
	out, err := AppendExtended(nil, blocks)
	if err != nil {
		t.Fatal(err)
	}
	got, used, warning, err := ParseExtended(out)
	if err != nil || used != len(out) || warning != "" || len(got) != 2 || got[0].Type != 1 || len(got[0].Data) != 4 || got[1].Type != 0x0101 {
		t.Fatalf("%+v %d %q %v", got, used, warning, err)
	}
	// A block longer than its area is an error; an area longer than the
	// record is cut with a warning.
	bad := append([]byte{}, out...)
	bad[5] = 200
	if _, _, _, err := ParseExtended(bad); err == nil {
		t.Error("block overrunning its area accepted")
	}
	tail, _ := AppendExtended(nil, []ExtendedBlock{blocks[1], blocks[0]})
	if got, _, w, err := ParseExtended(tail[:len(tail)-1]); err != nil || w == "" || len(got) != 2 || len(got[1].Data) != 3 {
		t.Errorf("area past the record end: %+v %q, %v", got, w, err)
	}
}
