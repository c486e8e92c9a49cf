package match

// Hooks for 1:N search (biometric/watchlist): a cheap screening score for
// the first stage of a two-stage search, and a stored form of prepared
// templates so that a gallery of a million loads without preparing each
// template again.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"

	"checkpost/biometric"
)

// Screening parameters. The screening score is the local similarity sort
// (LSS) of MCC: the sum of the screenK best cylinder similarities among
// pairs of minutiae turned at most screenAngle apart, without the
// relaxation and alignment that Compare adds. It costs about a fifth of
// Compare and ranks mates well enough to pick whom Compare re-scores.
const (
	screenK     = 4
	screenAngle = 8192 // 45°, in 1/65536 turn
)

// Screen returns a cheap similarity of a and b for the first stage of a
// 1:N search: higher is more alike, 0 when nothing is comparable. Its
// values are not on Compare's scale and have no false-match rate; use it
// only to rank. It allocates nothing.
func (m *Matcher) Screen(a, b *Template) float64 {
	var top [screenK]float32
	nb := int(b.n)
	if nb == 0 {
		return 0
	}
	for i := 0; i < int(a.n); i++ {
		ma := &a.m[i]
		if ma.flags&flagCylinder == 0 {
			continue
		}
		ca := (*[cylStride]uint64)(a.cyl[i*cylStride : i*cylStride+cylStride])
		lo := ma.a - screenAngle
		// First of b's minutiae (by direction) at or after lo.
		start, hi := 0, nb
		for start < hi {
			mid := int(uint(start+hi) >> 1)
			if b.m[b.byAngle[mid]].a < lo {
				start = mid + 1
			} else {
				hi = mid
			}
		}
		for step := 0; step < nb; step++ {
			k := start + step
			if k >= nb {
				k -= nb
			}
			j := int(b.byAngle[k])
			mb := &b.m[j]
			if uint16(mb.a-lo) > 2*screenAngle {
				break
			}
			if mb.flags&flagCylinder == 0 {
				continue
			}
			cb := (*[cylStride]uint64)(b.cyl[j*cylStride : j*cylStride+cylStride])
			if common, ok := comparable(ca, cb); ok {
				keepTop(&top, cylinderSimilarity(ca, cb, common))
			}
		}
	}
	var sum float32
	for _, v := range top {
		sum += v
	}
	return float64(sum) / screenK
}

// Stored form of a prepared template (see MarshalBinary):
//
//	0       1     number of minutiae N (at most MaxMinutiae)
//	1       7N    per minutia: x, y (int16), direction (uint16, 1/65536
//	              turn), flags (1: cylinder, type, reliability level)
//	1+7N    8SN   the cylinders, S = words per cylinder (little-endian)
//	        1     number of cores K (at most maxCores)
//	        7K    per core: x, y, direction, confidence (as a minutia's
//	              x, y, direction and flags)
//	        1     ridge map columns C (0: no ridge map, nothing follows)
//	        1     rows R
//	        4     x0, y0 (int16): the first cell's top-left corner
//	        CR    the cells' codes (biometric.RidgeMap.Cells)
//	        P     the periods, P = ceil(C/2) ceil(R/2)
//
// The layout and the cylinders' meaning change when this package's
// parameters change; FormatID tells the stored forms apart.
const minutiaBytes = 7

// ErrFormat is returned by UnmarshalBinary for bytes that are not a stored
// prepared template of this package's current format.
var ErrFormat = errors.New("match: not a stored prepared template of this format")

// MarshalBinary returns the stored form of t: 40 bytes per minutia and
// the ridge map (up to about 500 bytes), about 1.7 KB for a typical plain
// impression. It is only readable by a build whose FormatID is the same.
func (t *Template) MarshalBinary() ([]byte, error) {
	n := int(t.n)
	out := make([]byte, 1+n*minutiaBytes+n*cylStride*8, 1+n*minutiaBytes+n*cylStride*8+1+int(t.ncores)*minutiaBytes+t.ridge.storedSize())
	out[0] = t.n
	p := out[1:]
	for i := 0; i < n; i++ {
		m := &t.m[i]
		binary.LittleEndian.PutUint16(p[0:], uint16(m.x))
		binary.LittleEndian.PutUint16(p[2:], uint16(m.y))
		binary.LittleEndian.PutUint16(p[4:], m.a)
		p[6] = m.flags
		p = p[minutiaBytes:]
	}
	for _, w := range t.cyl[:n*cylStride] {
		binary.LittleEndian.PutUint64(p, w)
		p = p[8:]
	}
	out = append(out, t.ncores)
	for _, c := range t.cores[:t.ncores] {
		out = binary.LittleEndian.AppendUint16(out, uint16(c.x))
		out = binary.LittleEndian.AppendUint16(out, uint16(c.y))
		out = binary.LittleEndian.AppendUint16(out, c.a)
		out = append(out, c.flags)
	}
	return t.ridge.appendStored(out), nil
}

// UnmarshalBinary fills t from bytes made by MarshalBinary under the same
// FormatID. Bytes of another length or with values out of range give
// ErrFormat; t is then the zero template.
func (t *Template) UnmarshalBinary(b []byte) error {
	*t = Template{}
	if len(b) < 1 {
		return fmt.Errorf("%w: empty", ErrFormat)
	}
	n := int(b[0])
	if n > MaxMinutiae {
		return fmt.Errorf("%w: %d minutiae (at most %d)", ErrFormat, n, MaxMinutiae)
	}
	if want := 1 + n*minutiaBytes + n*cylStride*8 + 2; len(b) < want {
		return fmt.Errorf("%w: %d bytes for %d minutiae (want at least %d)", ErrFormat, len(b), n, want)
	}
	p := b[1:]
	for i := 0; i < n; i++ {
		m := &t.m[i]
		m.x = int16(binary.LittleEndian.Uint16(p[0:]))
		m.y = int16(binary.LittleEndian.Uint16(p[2:]))
		m.a = binary.LittleEndian.Uint16(p[4:])
		m.flags = p[6]
		if m.flags>>relShift > relLevels || m.flags&flagTypes == flagTypes {
			*t = Template{}
			return fmt.Errorf("%w: minutia %d has unknown flags %#x", ErrFormat, i, m.flags)
		}
		p = p[minutiaBytes:]
	}
	for k := range t.cyl[:n*cylStride] {
		t.cyl[k] = binary.LittleEndian.Uint64(p)
		p = p[8:]
	}
	nc := int(p[0])
	if nc > maxCores || len(p) < 1+nc*minutiaBytes+1 {
		*t = Template{}
		return fmt.Errorf("%w: %d cores in %d bytes", ErrFormat, nc, len(p))
	}
	for i := 0; i < nc; i++ {
		q := p[1+i*minutiaBytes:]
		c := minutia{x: int16(binary.LittleEndian.Uint16(q[0:])), y: int16(binary.LittleEndian.Uint16(q[2:])),
			a: binary.LittleEndian.Uint16(q[4:]), flags: q[6]}
		if c.flags > 100 {
			*t = Template{}
			return fmt.Errorf("%w: core %d of confidence %d", ErrFormat, i, c.flags)
		}
		t.cores[i] = c
	}
	t.ncores = uint8(nc)
	p = p[1+nc*minutiaBytes:]
	if err := t.ridge.readStored(p); err != nil {
		*t = Template{}
		return err
	}
	t.n = uint8(n)
	sortByAngle(t)
	return nil
}

var formatID = sync.OnceValue(func() string {
	// The stored form of a fixed template: any change of the matcher's
	// parameters, cells or layout changes it.
	ref := biometric.Template{Width: 400, Height: 400, ResolutionPPI: 500}
	s := uint32(2463534242)
	for len(ref.Minutiae) < 40 {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		x, y := int(s%360)+20, int((s/360)%360)+20
		ref.Minutiae = append(ref.Minutiae, biometric.Minutia{X: x, Y: y, Angle: float64(s%6283) / 1000,
			Type: biometric.MinutiaType(1 + s%2), Quality: uint8(40 + s%60)})
	}
	t, err := Prepare(&ref)
	if err != nil {
		panic("match: preparing the format reference: " + err.Error())
	}
	b, _ := t.MarshalBinary()
	h := sha256.New()
	var hdr [16]byte
	binary.LittleEndian.PutUint32(hdr[0:], MaxMinutiae)
	binary.LittleEndian.PutUint32(hdr[4:], cylStride)
	binary.LittleEndian.PutUint64(hdr[8:], math.Float64bits(cylRadius))
	h.Write(hdr[:])
	h.Write(b)
	// And the ridge maps' bounds and consolidation.
	var rh [40]byte
	for i, v := range []uint32{ridgeCell, ridgeMaxCells, ridgeMaxSide, ridgeMaxBlocks, uint32(ridgeShift), uint32(ridgeStep), uint32(ridgeMaxTurn)} {
		binary.LittleEndian.PutUint32(rh[4*i:], v)
	}
	binary.LittleEndian.PutUint32(rh[28:], math.Float32bits(float32(ridgeK)))
	binary.LittleEndian.PutUint32(rh[32:], math.Float32bits(float32(ridgeN0)))
	binary.LittleEndian.PutUint32(rh[36:], math.Float32bits(float32(ridgeCentre)))
	h.Write(rh[:])
	return "mcc2-" + hex.EncodeToString(h.Sum(nil)[:8])
})

// FormatID names the stored form of prepared templates of this build: it
// changes whenever a change of the matcher would make stored prepared
// templates compare differently, so that a store can tell that it must
// prepare them again from their source templates.
func FormatID() string { return formatID() }

// Packed is a prepared template in the form a 1:N gallery holds it: the
// same minutiae and cylinders as Template, without the order by direction
// (rebuilt by Unpack) and with the minutiae that screening reads (those of
// ScreenMask) first, so that the first stage of a search reads one
// contiguous run of cylinders per template. It is a flat value of about
// 1.9 KB without pointers. It keeps no ridge map: a 1:N gallery's budget
// is 2 KB per template, and the map would take 0.5 KB more, so gallery
// comparisons scale by the flow as templates without maps do (the same
// thresholds hold). Nor does it keep the cores, which only comparisons
// with ridge maps read. Fill it with Pack; compare it through Unpack.
type Packed struct {
	n, k  uint8 // minutiae; the first k are the screening ones
	flags [MaxMinutiae]uint8
	a     [MaxMinutiae]uint16
	x, y  [MaxMinutiae]int16
	// mask holds the Template indexes of the first k minutiae (bit i for
	// minutia i); the others follow in order of index, so the order can
	// be undone without storing it.
	mask uint64
	cyl  [MaxMinutiae][cylStride]uint64
}

// Len returns the number of minutiae.
func (p *Packed) Len() int { return int(p.n) }

// Pack fills p from t, with the k most complete usable cylinders
// (ScreenMask(t, k)) first. t's ridge map and cores are left out (see
// Packed).
func (p *Packed) Pack(t *Template, k int) {
	mask := ScreenMask(t, k)
	n := int(t.n)
	p.n, p.k, p.mask = t.n, uint8(bits.OnesCount64(mask)), mask
	front, back := 0, int(p.k)
	for i := 0; i < n; i++ {
		var j int
		if mask>>i&1 != 0 {
			j = front
			front++
		} else {
			j = back
			back++
		}
		m := &t.m[i]
		p.flags[j], p.a[j], p.x[j], p.y[j] = m.flags, m.a, m.x, m.y
		copy(p.cyl[j][:], t.cyl[i*cylStride:(i+1)*cylStride])
	}
	for j := n; j < MaxMinutiae; j++ {
		p.flags[j], p.a[j], p.x[j], p.y[j] = 0, 0, 0, 0
		p.cyl[j] = [cylStride]uint64{}
	}
}

// Unpack writes the template p was packed from into t, without its ridge
// map and cores, in its stored form: equal field for field (those aside) to the
// template after MarshalBinary and UnmarshalBinary, which order minutiae
// of equal direction by index (as a gallery loaded from a store always
// had them). It allocates nothing.
func (p *Packed) Unpack(t *Template) {
	*t = Template{}
	n := int(p.n)
	front, back := 0, int(p.k)
	for i := 0; i < n; i++ {
		var j int
		if p.mask>>i&1 != 0 {
			j = front
			front++
		} else {
			j = back
			back++
		}
		t.m[i] = minutia{x: p.x[j], y: p.y[j], a: p.a[j], flags: p.flags[j]}
		copy(t.cyl[i*cylStride:(i+1)*cylStride], p.cyl[j][:])
	}
	t.n = p.n
	sortByAngle(t)
}

// sortByAngle fills t.byAngle: an insertion sort, stable, at most
// MaxMinutiae entries and no allocation (a million templates are read
// when a gallery loads).
func sortByAngle(t *Template) {
	for i := 0; i < int(t.n); i++ {
		k := uint8(i)
		a := t.m[k].a
		j := i
		for j > 0 && t.m[t.byAngle[j-1]].a > a {
			t.byAngle[j] = t.byAngle[j-1]
			j--
		}
		t.byAngle[j] = k
	}
}
