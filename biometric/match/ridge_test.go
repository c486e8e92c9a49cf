package match

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"unsafe"

	"checkpost/biometric/extract"
)

// The ridges tell what the flow cannot: a print against itself moved by
// two ridge periods across its ridges has nearly the same flow, but its
// ridges lie elsewhere; moved by 2 pixels (within the shifts tried) they
// still coincide.
func TestRidgeAgreementSeesRidgesNotFlow(t *testing.T) {
	src, err := extract.Extract(loadImage(t, "DB1_B/101_1.tif"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Prepare(&src)
	if err != nil {
		t.Fatal(err)
	}
	var m Matcher
	if r, n := m.ridgeAgreement(a, a, makeAlignment(0, 2, -1)); r < 0.9 || n < 200 {
		t.Errorf("itself moved by (2, -1) px: R %.3f over %d cells", r, n)
	}
	// 19 px: about two periods, in x and in y, so across whatever the
	// ridges' direction.
	for _, d := range [][2]float64{{19, 0}, {0, 19}} {
		al := makeAlignment(0, d[0], d[1])
		r, n := m.ridgeAgreement(a, a, al)
		flow, _ := m.orientAgreement(a, a, al)
		t.Logf("moved by %v px: R %.3f over %d cells, flow agreement %.3f", d, r, n, flow)
		if r > 0.5 || flow < 0.8 {
			t.Errorf("moved by %v px: R %.3f, flow %.3f: want the flow to agree and the ridges not", d, r, flow)
		}
	}
	// Without a ridge map on either side there is nothing to read.
	plain := src
	plain.Ridges = nil
	p, _ := Prepare(&plain)
	if _, n := m.ridgeAgreement(a, p, makeAlignment(0, 0, 0)); n != 0 {
		t.Errorf("a template without a ridge map: %d cells compared", n)
	}
}

// On a small sensor's view (FVC2002 DB1_B cropped to 200x200 pixels
// around each print's minutiae: the tuning proxy for small sensors), the
// ridges lift genuine pairs over impostors that the flow leaves below:
// fewer genuine pairs score under the highest 1% and 0.1% of impostor
// scores than when the same templates compare without their ridge maps
// (79 against 84 when written; 70 once the ridges also rescued small
// prints' pairs, rescue.go).
func TestRidgesHelpSmallPrints(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts 160 images")
	}
	type print struct {
		finger      int
		with, plain *Template
	}
	var prints []print
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			img := loadImage(t, fmt.Sprintf("DB1_B/%d_%d.tif", f, i))
			whole, err := extract.Extract(img)
			if err != nil {
				t.Fatal(err)
			}
			var cx, cy int
			for _, mn := range whole.Minutiae {
				cx += mn.X
				cy += mn.Y
			}
			cx, cy = cx/len(whole.Minutiae), cy/len(whole.Minutiae)
			b := img.Bounds()
			x0 := min(max(cx-100, b.Min.X), b.Max.X-200)
			y0 := min(max(cy-100, b.Min.Y), b.Max.Y-200)
			crop := image.NewGray(image.Rect(0, 0, 200, 200))
			for y := 0; y < 200; y++ {
				copy(crop.Pix[y*crop.Stride:y*crop.Stride+200], img.Pix[img.PixOffset(x0, y0+y):])
			}
			src, err := extract.Extract(crop)
			if err != nil {
				continue
			}
			w, err := Prepare(&src)
			if err != nil {
				continue
			}
			src.Ridges = nil
			p, _ := Prepare(&src)
			prints = append(prints, print{f, w, p})
		}
	}
	var m Matcher
	fingers := make([]int, len(prints))
	for i, p := range prints {
		fingers[i] = p.finger
	}
	missed := func(tmpl func(p print) *Template) int {
		return missedAtFMR(fingers, func(i, j int) float64 { return m.Compare(tmpl(prints[i]), tmpl(prints[j])) })
	}
	with := missed(func(p print) *Template { return p.with })
	plain := missed(func(p print) *Template { return p.plain })
	t.Logf("%d crops: genuine pairs missed at FMR 1%% and 0.1%%: %d with ridge maps, %d by the flow", len(prints), with, plain)
	if with >= plain {
		t.Errorf("genuine pairs missed at FMR 1%% and 0.1%%: %d with ridge maps, %d without", with, plain)
	}
}

// Prepare keeps a ridge map it can read, leaves out one of other cells
// (the comparison then reads the flow) and rejects a malformed one.
func TestPrepareRidgeMaps(t *testing.T) {
	src := galleryRef()
	if p, err := Prepare(&src); err != nil || p.ridge.cols != 6 || p.ridge.rows != 5 {
		t.Fatalf("kept map %dx%d, error %v", p.ridge.cols, p.ridge.rows, err)
	}
	other := *src.Ridges
	other.Cell = 12
	src.Ridges = &other
	if p, err := Prepare(&src); err != nil || p.ridge.cols != 0 {
		t.Errorf("a map of 12-pixel cells: kept %d columns, error %v", p.ridge.cols, err)
	}
	bad := other
	bad.Cell = 16
	bad.Cells = bad.Cells[:5]
	src.Ridges = &bad
	if _, err := Prepare(&src); err == nil {
		t.Error("a map with too few codes was accepted")
	}
}

// The prepared template holds every ridge map biometric/extract makes.
func TestRidgeBoundsMatchExtract(t *testing.T) {
	if ridgeMaxCells != extract.RidgeMaxCells || ridgeMaxSide != extract.RidgeMaxSide || ridgeMaxBlocks != extract.RidgeMaxBlocks {
		t.Errorf("match keeps maps of %d cells, %d a side, %d blocks; extract makes %d, %d, %d", ridgeMaxCells, ridgeMaxSide,
			ridgeMaxBlocks, extract.RidgeMaxCells, extract.RidgeMaxSide, extract.RidgeMaxBlocks)
	}
}

// missedAtFMR scores every pair of a set of prints (fingers[i] is print
// i's finger) and counts the genuine pairs under the impostor pairs'
// thresholds for FMR 1% plus those under FMR 0.1%.
func missedAtFMR(fingers []int, score func(i, j int) float64) int {
	var gen, imp []float64
	for i := range fingers {
		for j := i + 1; j < len(fingers); j++ {
			s := score(i, j)
			if fingers[i] == fingers[j] {
				gen = append(gen, s)
			} else {
				imp = append(imp, s)
			}
		}
	}
	sort.Float64s(imp)
	n := 0
	for _, q := range []int{100, 1000} {
		thr := imp[len(imp)-len(imp)/q]
		for _, s := range gen {
			if s < thr {
				n++
			}
		}
	}
	return n
}

// shiftSums3's four-at-a-time path (assembly on amd64) gives the same
// sums to the bit as shiftSums3Go, item by item in order, whatever the
// count (the rest after the last four done by the Go loop), the shifts
// and the sums it adds to: ridge items as ridgeOverlap makes them (unit
// phase differences, wave vectors of periods of 4-16 pixels) and wilder
// ones.
func TestShiftSums3SameBits(t *testing.T) {
	if unsafe.Offsetof(ridgeItems{}.zi) != 1536 || unsafe.Offsetof(ridgeItems{}.kx) != 3072 || unsafe.Offsetof(ridgeItems{}.ky) != 4608 {
		t.Fatalf("ridgeItems layout changed: update ridge_amd64.s")
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var its ridgeItems
	for trial := 0; trial < 2000; trial++ {
		n := rng.IntN(60)
		if trial%100 == 0 {
			n = ridgeMaxCells
		}
		for k := 0; k < n; k++ {
			z := rng.IntN(1024)
			its.zr[k], its.zi[k] = cosTab[z], sinTab[z]
			d := rng.IntN(1024)
			kb := waveNumber[64+rng.IntN(192)]
			its.kx[k], its.ky[k] = kb*cosTab[d], kb*sinTab[d]
			if trial%3 == 0 {
				its.zr[k], its.zi[k] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				its.kx[k], its.ky[k] = float32(rng.NormFloat64()*3), float32(rng.NormFloat64()*3)
			}
		}
		x0, y0, step := rng.IntN(9)-4, rng.IntN(9)-4, 1+rng.IntN(3)
		var init [9]float32
		if trial%2 == 1 {
			for i := range init {
				init[i] = float32(rng.NormFloat64() * 10)
			}
		}
		got, want := init, init
		shiftSums3(&its, n, x0, y0, step, &got)
		shiftSums3Go(&its, 0, n, x0, y0, step, &want)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("trial %d, %d items, shift (%d, %d) step %d: sum %d is %v, want %v", trial, n, x0, y0, step, i, got[i], want[i])
			}
		}
	}
}

// The assembly reads overlapArgs and ridgeSites at fixed offsets.
func TestOverlapArgsLayout(t *testing.T) {
	var p overlapArgs
	got := []uintptr{unsafe.Offsetof(p.sites), unsafe.Offsetof(p.ns), unsafe.Offsetof(p.code), unsafe.Offsetof(p.period),
		unsafe.Offsetof(p.its), unsafe.Offsetof(p.bcols), unsafe.Offsetof(p.pcols), unsafe.Offsetof(p.c), unsafe.Offsetof(p.s),
		unsafe.Offsetof(p.tx), unsafe.Offsetof(p.ty), unsafe.Offsetof(p.bx0), unsafe.Offsetof(p.by0), unsafe.Offsetof(p.fbc),
		unsafe.Offsetof(p.fbr), unsafe.Offsetof(p.rot), unsafe.Offsetof(p.pi8), unsafe.Offsetof(p.toIdx),
		unsafe.Offsetof(ridgeSites{}.y), unsafe.Offsetof(ridgeSites{}.code), unsafe.Offsetof(ridges{}.code) - 3}
	want := []uintptr{0, 8, 16, 24, 32, 40, 44, 48, 52, 56, 60, 64, 68, 72, 76, 80, 84, 88, 1536, 3072, unsafe.Offsetof(ridges{}.code) - 3}
	if fmt.Sprint(got) != fmt.Sprint(want) || unsafe.Offsetof(ridges{}.code) < 3 || unsafe.Offsetof(ridges{}.period) != unsafe.Offsetof(ridges{}.code)+ridgeMaxCells {
		t.Fatalf("overlapArgs, ridgeSites or ridges layout changed (%v): update ridge_amd64.s", got)
	}
}

// ridgeOverlapAVX512 gives ridgeOverlapGo's n, ni and items to the bit:
// the tuning prints of DB1_B, whole and cropped to a small sensor's view,
// all sites and the sparse quarter, under alignments from pairs of their
// minutiae (as the rescue makes them) and random ones, some far off.
func TestRidgeOverlapAVX512MatchesGo(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this machine")
	}
	var ts []*Template
	for f := 101; f <= 104; f++ {
		for i := 1; i <= 3; i++ {
			img := loadImage(t, fmt.Sprintf("DB1_B/%d_%d.tif", f, i))
			ts = append(ts, prepareImage(t, img), prepareImage(t, centreCrop(img, 220, 260)))
		}
	}
	rng := rand.New(rand.NewPCG(3, 5))
	var m Matcher
	var want ridgeItems
	for x, a := range ts {
		for y, b := range ts {
			for trial := range 12 {
				var al alignment
				if trial < 8 {
					sa, sb := &a.m[rng.IntN(int(a.n))], &b.m[rng.IntN(int(b.n))]
					rot := sb.a - sa.a
					c, s := cosTab[rot>>6], sinTab[rot>>6]
					al = alignment{c: c, s: s, tx: float32(sb.x) - (c*float32(sa.x) - s*float32(sa.y)), ty: float32(sb.y) - (s*float32(sa.x) + c*float32(sa.y)), rot: rot}
				} else {
					r := rng.Float64() * 2 * math.Pi
					al = makeAlignment(r, rng.NormFloat64()*100, rng.NormFloat64()*100)
				}
				ns := a.ridge.sites(&m.rsites, trial%2 == 0)
				wn, wni := m.ridgeOverlapGo(&m.rsites, ns, b, al)
				want = m.ritems
				n, ni := m.ridgeOverlap(&m.rsites, ns, b, al)
				if n != wn || ni != wni {
					t.Fatalf("templates %d, %d, trial %d: n %d ni %d, want %d %d", x, y, trial, n, ni, wn, wni)
				}
				for k := range ni {
					g := [4]float32{m.ritems.zr[k], m.ritems.zi[k], m.ritems.kx[k], m.ritems.ky[k]}
					w := [4]float32{want.zr[k], want.zi[k], want.kx[k], want.ky[k]}
					for j := range g {
						if math.Float32bits(g[j]) != math.Float32bits(w[j]) {
							t.Fatalf("templates %d, %d, trial %d, item %d: %v, want %v", x, y, trial, k, g, w)
						}
					}
				}
			}
		}
	}
}
