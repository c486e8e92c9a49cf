package match

import (
	"fmt"
	"image"
	"math"
	"sort"
	"testing"

	"checkpost/biometric/extract"
)

// centreCrop cuts a w x h window from the middle of img.
func centreCrop(img *image.Gray, w, h int) *image.Gray {
	b := img.Bounds()
	x0 := b.Min.X + (b.Dx()-w)/2
	y0 := b.Min.Y + (b.Dy()-h)/2
	crop := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(crop.Pix[y*crop.Stride:y*crop.Stride+w], img.Pix[img.PixOffset(x0, y0+y):])
	}
	return crop
}

// On a small sensor's view (FVC2002 DB1_B centre-cropped to 220x260
// pixels, a tuning proxy for small sensors) the ridge rescue lifts genuine
// pairs that the minutiae misalign over the impostors: fewer genuine pairs
// score under the set's highest 1% and 0.1% of impostor scores with it
// than with the minutiae's score alone (46 against 51 when written with three
// candidates, 48 against 51 with five).
func TestRidgeRescueSmallPrints(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts 80 images")
	}
	type print struct {
		finger int
		t      *Template
	}
	var prints []print
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			src, err := extract.Extract(centreCrop(loadImage(t, fmt.Sprintf("DB1_B/%d_%d.tif", f, i)), 220, 260))
			if err != nil {
				continue
			}
			p, err := Prepare(&src)
			if err != nil {
				continue
			}
			prints = append(prints, print{f, p})
		}
	}
	var m Matcher
	fingers := make([]int, len(prints))
	for i, p := range prints {
		fingers[i] = p.finger
	}
	missed := func(rescue bool) int {
		return missedAtFMR(fingers, func(i, j int) float64 {
			s, r := m.scoreTerms(prints[i].t, prints[j].t, false)
			if rescue {
				s += r
			}
			return s
		})
	}
	with, without := missed(true), missed(false)
	t.Logf("%d crops: genuine pairs missed at FMR 1%% and 0.1%%: %d with the rescue, %d without", len(prints), with, without)
	if with >= without {
		t.Errorf("genuine pairs missed at FMR 1%% and 0.1%%: %d with the rescue, %d without", with, without)
	}
}

// The rescue reads only small prints with ridge maps: a print against
// itself adds nothing when it is large (its minutiae align it), its
// 200x200 crop against the whole print adds more than the 0.01%
// threshold by itself, and the crop without its ridge map nothing.
func TestRidgeRescueGate(t *testing.T) {
	img := loadImage(t, "DB1_B/101_1.tif")
	whole := prepareImage(t, img)
	var m Matcher
	if int(whole.ridge.cells) <= rescueMaxCells {
		t.Fatalf("DB1_B 101_1 has %d ridge cells: not a large print", whole.ridge.cells)
	}
	if r := m.ridgeRescue(whole, whole); r != 0 {
		t.Errorf("a large print against itself: rescue %.4f, want 0", r)
	}
	crop := prepareImage(t, centreCrop(img, 200, 200))
	if int(crop.ridge.cells) > rescueMaxCells {
		t.Fatalf("a 200x200 crop has %d ridge cells", crop.ridge.cells)
	}
	if r := m.ridgeRescue(crop, whole); r <= ThresholdFMR1e4 {
		t.Errorf("a crop against its whole print: rescue %.4f, want above ThresholdFMR1e4 (%.5f)", r, ThresholdFMR1e4)
	}
	plain := *crop
	plain.ridge = ridges{}
	if r := m.ridgeRescue(&plain, whole); r != 0 {
		t.Errorf("a crop without a ridge map: rescue %.4f, want 0", r)
	}
}

// rescueCandidates picks what ranking every pair in the turn window by
// its descriptors' mean agreement as a float32 quotient picks (the key
// as first written): the best rescueCandidates, the first visited among
// equals (a's minutiae by index, for each b's by direction from a's
// direction minus rescueTurn on). On FVC2002 DB4_B's small prints, in
// both orders.
func TestRescueCandidatesAsRanked(t *testing.T) {
	var ts []*Template
	for f := 101; f <= 104; f++ {
		for i := 1; i <= 4; i++ {
			ts = append(ts, prepareFVC(t, fmt.Sprintf("DB4_B/%d_%d.tif", f, i)))
		}
	}
	type cand struct {
		key  float32
		a, b uint8
	}
	ranked := func(a, b *Template) []cand {
		var cs []cand
		for i := 0; i < int(a.n); i++ {
			lo := a.m[i].a - rescueTurn
			// b's minutiae by direction from the first turned at
			// least lo, circularly.
			s0 := 0
			for s0 < int(b.n) && b.m[b.byAngle[s0]].a < lo {
				s0++
			}
			for k := 0; k < int(b.n); k++ {
				j := b.byAngle[(s0+k)%int(b.n)]
				if b.m[j].a-lo > 2*rescueTurn {
					break
				}
				da, db := a.descriptor(i), b.descriptor(int(j))
				var sum, n uint32
				for p := 0; p < 32; p += 4 {
					v := uint32(descAgree[(da>>p&15)<<4|db>>p&15])
					sum, n = sum+v>>4, n+v&15
				}
				key := float32(0)
				if n >= descMinPts {
					key = float32(sum) / float32(n)
				}
				cs = append(cs, cand{key, uint8(i), j})
			}
		}
		sort.SliceStable(cs, func(p, q int) bool { return cs[p].key > cs[q].key })
		return cs[:min(len(cs), rescueCandidates)]
	}
	var m Matcher
	for _, a := range ts {
		for _, b := range ts {
			want := ranked(a, b)
			nc := m.rescueCandidates(a, b)
			if nc != len(want) {
				t.Fatalf("%d candidates, want %d", nc, len(want))
			}
			for q := range want {
				if m.rescueA[q] != want[q].a || m.rescueB[q] != want[q].b {
					t.Fatalf("candidate %d: (%d, %d), want (%d, %d) of key %v", q, m.rescueA[q], m.rescueB[q], want[q].a, want[q].b, want[q].key)
				}
			}
		}
	}
}

// minutiaeCrop cuts a w x h window from img around the mean position of
// the minutiae extracted from the whole image (as checkpost eval
// fingerprints --crop WxH@minutiae does), kept inside the image.
func minutiaeCrop(t *testing.T, img *image.Gray, w, h int) *image.Gray {
	src, err := extract.Extract(img)
	if err != nil || len(src.Minutiae) == 0 {
		t.Fatalf("no minutiae to centre on: %v", err)
	}
	var sx, sy int
	for _, m := range src.Minutiae {
		sx, sy = sx+m.X, sy+m.Y
	}
	b := img.Bounds()
	x0 := min(max(sx/len(src.Minutiae)-w/2, 0), b.Dx()-w)
	y0 := min(max(sy/len(src.Minutiae)-h/2, 0), b.Dy()-h)
	crop := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(crop.Pix[y*crop.Stride:y*crop.Stride+w], img.Pix[img.PixOffset(b.Min.X+x0, b.Min.Y+y0+y):])
	}
	return crop
}

// minutiaeCrops prepares FVC2002 DB1_B's impressions of fingers 101 to
// last, each cut to w x h around its minutiae (minutiaeCrop), with the
// finger of each; impressions that fail to extract or prepare are left
// out.
func minutiaeCrops(t *testing.T, last, w, h int) (fingers []int, prints []*Template) {
	for f := 101; f <= last; f++ {
		for i := 1; i <= 8; i++ {
			src, err := extract.Extract(minutiaeCrop(t, loadImage(t, fmt.Sprintf("DB1_B/%d_%d.tif", f, i)), w, h))
			if err != nil {
				continue
			}
			p, err := Prepare(&src)
			if err != nil {
				continue
			}
			fingers, prints = append(fingers, f), append(prints, p)
		}
	}
	return fingers, prints
}

// The minutiae counted under the rescue's alignment (rescueRecount) lift
// genuine pairs of small prints that the consolidation misaligns: on
// FVC2002 DB1_B cut to 200x200 pixels around each print's minutiae (a
// tuning proxy for small sensors) fewer genuine pairs score under the
// set's highest 1% and 0.1% of impostor scores with them than without
// (63 against 68 when written).
func TestRescueRecountSmallPrints(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts 160 images")
	}
	fingers, prints := minutiaeCrops(t, 110, 200, 200)
	var m Matcher
	missed := func(recount bool) int {
		return missedAtFMR(fingers, func(i, j int) float64 {
			s, r := m.scoreTerms(prints[i], prints[j], recount)
			return s + r
		})
	}
	with, without := missed(true), missed(false)
	t.Logf("%d crops: genuine pairs missed at FMR 1%% and 0.1%%: %d with the recount, %d without", len(prints), with, without)
	if with >= without {
		t.Errorf("genuine pairs missed at FMR 1%% and 0.1%%: %d with the recount, %d without", with, without)
	}
}

// An alignment's inverse carries the points it moved back, and turns
// back by as much.
func TestAlignmentInverse(t *testing.T) {
	for _, deg := range []float64{0, 17, -40, 90, 179} {
		al := makeAlignment(deg*math.Pi/180, 31.5, -12.25)
		inv := al.inverse()
		for _, p := range [][2]float32{{0, 0}, {100, -50}, {-230, 310}} {
			x := al.c*p[0] - al.s*p[1] + al.tx
			y := al.s*p[0] + al.c*p[1] + al.ty
			bx := inv.c*x - inv.s*y + inv.tx
			by := inv.s*x + inv.c*y + inv.ty
			if math.Abs(float64(bx-p[0])) > 1e-3 || math.Abs(float64(by-p[1])) > 1e-3 {
				t.Errorf("%v°: %v -> (%.3f, %.3f) -> (%.4f, %.4f)", deg, p, x, y, bx, by)
			}
		}
		if al.rot+inv.rot != 0 {
			t.Errorf("%v°: turns %d and back %d", deg, al.rot, inv.rot)
		}
	}
}

// The rescue reads the best two of its screened alignments in full, the
// consolidation's seeds among the candidates: its term is what the
// larger of their R' has over rescueFloor, and the minutiae are counted
// under each (the score is the largest of those counts and the
// consolidation's). On FVC2002 DB1_B cut to 200x200 pixels around the
// minutiae, some pairs have a second alignment read, and under some of
// those the second gives the score.
func TestRidgeRescueSecondAlignment(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts 24 images")
	}
	_, prints := minutiaeCrops(t, 103, 200, 200)
	var m Matcher
	read2, won2 := 0, 0
	for i := range prints {
		for j := range prints {
			if i == j {
				continue
			}
			_, r := m.scoreTerms(prints[i], prints[j], true)
			if m.rescueRead > 2 {
				t.Fatalf("%d, %d: %d alignments read in full", i, j, m.rescueRead)
			}
			rp := 0.0
			for k := 0; k < m.rescueRead; k++ {
				rp = max(rp, m.rescueR[k])
			}
			if want := rescueWeight * max(rp-rescueFloor, 0); r != want {
				t.Fatalf("%d, %d: rescue's term %v, want %v from R' %v", i, j, r, want, m.rescueR[:m.rescueRead])
			}
			if m.rescueRead < 2 {
				continue
			}
			read2++
			// The winner's alignment is copied to rescueAl[0].
			if m.rescueWon && m.rescueAl[0] == m.rescueAl[1] {
				won2++
			}
		}
	}
	t.Logf("%d crops: %d ordered pairs with two alignments read, the second giving the score in %d", len(prints), read2, won2)
	if read2 == 0 || won2 == 0 {
		t.Errorf("%d ordered pairs with two alignments read, the second giving the score in %d", read2, won2)
	}
}

// The cores (the rescue's candidate alignment of two prints' cores, and
// the bonus of an alignment that lays a core on a core) tell genuine
// pairs of small prints from impostor pairs: on FVC2002 DB1_B cut to
// 200x200 pixels around each print's minutiae (a tuning proxy for small
// sensors), of the pairs where both prints have a core, the cores raise
// the score of a genuine pair by more than 5% at least four times as
// often as an impostor pair's (145 of 201 against 228 of 1,944 when
// written).
func TestRidgeRescueCores(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts 160 images")
	}
	fingers, prints := minutiaeCrops(t, 110, 200, 200)
	var m Matcher
	var gen, genUp, imp, impUp int
	for i := range prints {
		for j := i + 1; j < len(prints); j++ {
			a, b := prints[i], prints[j]
			if a.ncores == 0 || b.ncores == 0 {
				continue
			}
			bareA, bareB := *a, *b
			bareA.ncores, bareB.ncores = 0, 0
			up := m.Compare(a, b) > 1.05*m.Compare(&bareA, &bareB)
			if fingers[i] == fingers[j] {
				gen++
				if up {
					genUp++
				}
			} else {
				imp++
				if up {
					impUp++
				}
			}
		}
	}
	t.Logf("pairs with cores raised: genuine %d of %d, impostor %d of %d", genUp, gen, impUp, imp)
	if gen < 100 || imp < 1000 || float64(genUp)/float64(gen) < 4*float64(impUp)/float64(imp) {
		t.Errorf("pairs with cores raised: genuine %d of %d, impostor %d of %d", genUp, gen, impUp, imp)
	}
}

// coresMeet: an alignment that lays a core within coreNear pixels of the
// other print's core meets it; one that lays it further, or a print
// without cores, does not.
func TestCoresMeet(t *testing.T) {
	var a, b Template
	a.cores[0], a.ncores = minutia{x: 100, y: -150, a: 16384}, 1
	b.cores[0], b.cores[1], b.ncores = minutia{x: 30, y: -40}, minutia{x: 120, y: -150, a: 16384}, 2
	// a turned a quarter turn, its core laid on b's second at (120,
	// -150), then moved by (dx, dy).
	rot := alignment{c: 0, s: 1, rot: 16384}
	rot.tx, rot.ty = 120-(0*100-1*-150), -150-(1*100+0*-150)
	for _, c := range []struct {
		dx, dy float32
		want   bool
	}{{0, 0, true}, {10, -10, true}, {15, 0, true}, {12, -10, false}, {-80, 0, false}} {
		al := rot
		al.tx, al.ty = al.tx+c.dx, al.ty+c.dy
		if got := coresMeet(&a, &b, al); got != c.want {
			t.Errorf("core laid at (%v, %v): meet %v, want %v", 120+c.dx, -150+c.dy, got, c.want)
		}
	}
	b.ncores = 0
	if coresMeet(&a, &b, rot) {
		t.Error("a print without cores met")
	}
}
