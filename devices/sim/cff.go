package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// cffFont draws the glyphs of an OpenType font with CFF outlines. It
// exists because golang.org/x/image/font/sfnt rejects the flex operators
// of Type 2 charstrings, which Debian's OCR-B uses for '<' and '8', the
// two commonest MRZ characters. It implements the charstring operators of
// Adobe Technical Note #5177 (no CFF2, no CID-keyed fonts).
type cffFont struct {
	sf          *sfnt.Font
	charStrings [][]byte
	gsubrs      [][]byte
	subrs       [][]byte
	unitsPerEm  float64
}

// maxCFFOps bounds the work of one glyph, so that a malicious font cannot
// loop through subroutines forever.
const maxCFFOps = 20000

func parseCFFFont(data []byte) (*cffFont, error) {
	sf, err := sfnt.Parse(data)
	if err != nil {
		return nil, err
	}
	table, err := findTable(data, "CFF ")
	if err != nil {
		return nil, err
	}
	f := &cffFont{sf: sf, unitsPerEm: float64(sf.UnitsPerEm())}
	if len(table) < 4 {
		return nil, errors.New("cff: short header")
	}
	p := int(table[2])
	_, p, err = cffIndex(table, p) // names
	if err != nil {
		return nil, fmt.Errorf("cff: name index: %w", err)
	}
	tops, p, err := cffIndex(table, p)
	if err != nil || len(tops) == 0 {
		return nil, fmt.Errorf("cff: top dict index: %v", err)
	}
	_, p, err = cffIndex(table, p) // strings
	if err != nil {
		return nil, fmt.Errorf("cff: string index: %w", err)
	}
	if f.gsubrs, _, err = cffIndex(table, p); err != nil {
		return nil, fmt.Errorf("cff: global subrs: %w", err)
	}
	top, err := cffDict(tops[0])
	if err != nil {
		return nil, err
	}
	cs, ok := top[17]
	if !ok || len(cs) != 1 {
		return nil, errors.New("cff: no CharStrings")
	}
	if f.charStrings, _, err = cffIndex(table, int(cs[0])); err != nil {
		return nil, fmt.Errorf("cff: charstrings: %w", err)
	}
	if priv, ok := top[18]; ok && len(priv) == 2 {
		size, off := int(priv[0]), int(priv[1])
		if off < 0 || size < 0 || off+size > len(table) {
			return nil, errors.New("cff: private dict out of range")
		}
		pd, err := cffDict(table[off : off+size])
		if err != nil {
			return nil, err
		}
		if s, ok := pd[19]; ok && len(s) == 1 {
			if f.subrs, _, err = cffIndex(table, off+int(s[0])); err != nil {
				return nil, fmt.Errorf("cff: local subrs: %w", err)
			}
		}
	}
	return f, nil
}

func findTable(data []byte, tag string) ([]byte, error) {
	if len(data) < 12 {
		return nil, errors.New("font: short header")
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(data) {
			break
		}
		if string(data[rec:rec+4]) == tag {
			off, l := binary.BigEndian.Uint32(data[rec+8:]), binary.BigEndian.Uint32(data[rec+12:])
			if uint64(off)+uint64(l) > uint64(len(data)) {
				return nil, fmt.Errorf("font: table %q out of range", tag)
			}
			return data[off : off+l], nil
		}
	}
	return nil, fmt.Errorf("font: no %q table", tag)
}

// cffIndex reads the INDEX at p and returns its items and the offset after it.
func cffIndex(b []byte, p int) ([][]byte, int, error) {
	if p < 0 || p+2 > len(b) {
		return nil, 0, errors.New("index out of range")
	}
	count := int(binary.BigEndian.Uint16(b[p:]))
	if count == 0 {
		return nil, p + 2, nil
	}
	if p+3 > len(b) {
		return nil, 0, errors.New("index out of range")
	}
	offSize := int(b[p+2])
	if offSize < 1 || offSize > 4 {
		return nil, 0, fmt.Errorf("bad offSize %d", offSize)
	}
	offs := p + 3
	dataStart := offs + (count+1)*offSize - 1
	if dataStart >= len(b) {
		return nil, 0, errors.New("index offsets out of range")
	}
	read := func(i int) int {
		v := 0
		for k := 0; k < offSize; k++ {
			v = v<<8 | int(b[offs+i*offSize+k])
		}
		return v
	}
	items := make([][]byte, count)
	prev := read(0)
	for i := 0; i < count; i++ {
		next := read(i + 1)
		if prev < 1 || next < prev || dataStart+next > len(b) {
			return nil, 0, errors.New("index item out of range")
		}
		items[i] = b[dataStart+prev : dataStart+next]
		prev = next
	}
	return items, dataStart + prev, nil
}

// cffDict reads a DICT into operator -> operands (two-byte operators as
// 1200+second byte).
func cffDict(b []byte) (map[int][]float64, error) {
	out := map[int][]float64{}
	var ops []float64
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c <= 21:
			op := int(c)
			i++
			if c == 12 {
				if i >= len(b) {
					return nil, errors.New("cff: truncated dict")
				}
				op = 1200 + int(b[i])
				i++
			}
			out[op] = ops
			ops = nil
		case c == 28:
			if i+3 > len(b) {
				return nil, errors.New("cff: truncated dict")
			}
			ops = append(ops, float64(int16(binary.BigEndian.Uint16(b[i+1:]))))
			i += 3
		case c == 29:
			if i+5 > len(b) {
				return nil, errors.New("cff: truncated dict")
			}
			ops = append(ops, float64(int32(binary.BigEndian.Uint32(b[i+1:]))))
			i += 5
		case c == 30: // real: skip its nibbles (no real operand is used here)
			i++
			for i < len(b) && b[i]&0x0f != 0x0f && b[i]&0xf0 != 0xf0 {
				i++
			}
			i++
			ops = append(ops, 0)
		case c >= 32 && c <= 246:
			ops = append(ops, float64(int(c)-139))
			i++
		case c >= 247 && c <= 254:
			if i+2 > len(b) {
				return nil, errors.New("cff: truncated dict")
			}
			if c <= 250 {
				ops = append(ops, float64((int(c)-247)*256+int(b[i+1])+108))
			} else {
				ops = append(ops, float64(-(int(c)-251)*256-int(b[i+1])-108))
			}
			i += 2
		default:
			return nil, fmt.Errorf("cff: bad dict byte %d", c)
		}
	}
	return out, nil
}

func subrBias(n int) int {
	switch {
	case n < 1240:
		return 107
	case n < 33900:
		return 1131
	}
	return 32768
}

// outline runs glyph gid's charstring and sends its contours, scaled by s
// (pixels per font unit, y flipped) and shifted by (ox, oy), to z.
func (f *cffFont) outline(gid int, s, ox, oy float64, z *vector.Rasterizer) error {
	if gid < 0 || gid >= len(f.charStrings) {
		return fmt.Errorf("cff: glyph %d out of range", gid)
	}
	var (
		stack     []float64
		x, y      float64
		nStems    int
		open      bool
		widthDone bool
		ops       int
		callDepth int
		run       func(cs []byte) (bool, error)
		pt        = func(x, y float64) (float32, float32) { return float32(ox + x*s), float32(oy - y*s) }
		moveTo    = func(dx, dy float64) {
			x += dx
			y += dy
			px, py := pt(x, y)
			if open {
				z.ClosePath()
			}
			z.MoveTo(px, py)
			open = true
		}
		lineTo  = func(dx, dy float64) { x += dx; y += dy; px, py := pt(x, y); z.LineTo(px, py) }
		curveTo = func(a, b, c, d, e, g float64) {
			x1, y1 := x+a, y+b
			x2, y2 := x1+c, y1+d
			x, y = x2+e, y2+g
			p1x, p1y := pt(x1, y1)
			p2x, p2y := pt(x2, y2)
			p3x, p3y := pt(x, y)
			z.CubeTo(p1x, p1y, p2x, p2y, p3x, p3y)
		}
	)
	// takeWidth drops the optional width operand before the first
	// stack-clearing operator.
	takeWidth := func(even bool) {
		if widthDone {
			return
		}
		widthDone = true
		if (len(stack)%2 == 1) == even && len(stack) > 0 {
			stack = stack[1:]
		}
	}
	run = func(cs []byte) (bool, error) {
		callDepth++
		defer func() { callDepth-- }()
		if callDepth > 10 {
			return false, errors.New("cff: subroutines nested too deep")
		}
		for i := 0; i < len(cs); {
			ops++
			if ops > maxCFFOps {
				return false, errors.New("cff: charstring too long")
			}
			if len(stack) > 48 {
				return false, errors.New("cff: stack overflow")
			}
			b := cs[i]
			switch {
			case b == 28:
				if i+3 > len(cs) {
					return false, errors.New("cff: truncated charstring")
				}
				stack = append(stack, float64(int16(binary.BigEndian.Uint16(cs[i+1:]))))
				i += 3
				continue
			case b >= 32 && b <= 246:
				stack = append(stack, float64(int(b)-139))
				i++
				continue
			case b >= 247 && b <= 254:
				if i+2 > len(cs) {
					return false, errors.New("cff: truncated charstring")
				}
				if b <= 250 {
					stack = append(stack, float64((int(b)-247)*256+int(cs[i+1])+108))
				} else {
					stack = append(stack, float64(-(int(b)-251)*256-int(cs[i+1])-108))
				}
				i += 2
				continue
			case b == 255:
				if i+5 > len(cs) {
					return false, errors.New("cff: truncated charstring")
				}
				stack = append(stack, float64(int32(binary.BigEndian.Uint32(cs[i+1:])))/65536)
				i += 5
				continue
			}
			op := int(b)
			i++
			if b == 12 {
				if i >= len(cs) {
					return false, errors.New("cff: truncated charstring")
				}
				op = 1200 + int(cs[i])
				i++
			}
			a := stack
			need := func(n int) error {
				if len(a) < n {
					return fmt.Errorf("cff: operator %d needs %d operands, has %d", op, n, len(a))
				}
				return nil
			}
			switch op {
			case 1, 3, 18, 23: // hstem, vstem, hstemhm, vstemhm
				takeWidth(true)
				nStems += len(stack) / 2
				stack = stack[:0]
			case 19, 20: // hintmask, cntrmask
				takeWidth(true)
				nStems += len(stack) / 2
				stack = stack[:0]
				i += (nStems + 7) / 8
			case 21: // rmoveto
				takeWidth(true)
				a = stack
				if err := need(2); err != nil {
					return false, err
				}
				moveTo(a[0], a[1])
				stack = stack[:0]
			case 22, 4: // hmoveto, vmoveto
				takeWidth(false)
				a = stack
				if err := need(1); err != nil {
					return false, err
				}
				if op == 22 {
					moveTo(a[0], 0)
				} else {
					moveTo(0, a[0])
				}
				stack = stack[:0]
			case 5: // rlineto
				for k := 0; k+1 < len(a); k += 2 {
					lineTo(a[k], a[k+1])
				}
				stack = stack[:0]
			case 6, 7: // hlineto, vlineto: alternating
				horiz := op == 6
				for _, d := range a {
					if horiz {
						lineTo(d, 0)
					} else {
						lineTo(0, d)
					}
					horiz = !horiz
				}
				stack = stack[:0]
			case 8: // rrcurveto
				for k := 0; k+5 < len(a); k += 6 {
					curveTo(a[k], a[k+1], a[k+2], a[k+3], a[k+4], a[k+5])
				}
				stack = stack[:0]
			case 24: // rcurveline
				k := 0
				for ; k+5 < len(a)-2; k += 6 {
					curveTo(a[k], a[k+1], a[k+2], a[k+3], a[k+4], a[k+5])
				}
				if k+1 < len(a) {
					lineTo(a[k], a[k+1])
				}
				stack = stack[:0]
			case 25: // rlinecurve
				k := 0
				for ; k+1 < len(a)-6; k += 2 {
					lineTo(a[k], a[k+1])
				}
				if k+5 < len(a) {
					curveTo(a[k], a[k+1], a[k+2], a[k+3], a[k+4], a[k+5])
				}
				stack = stack[:0]
			case 26, 27: // vvcurveto, hhcurveto
				k := 0
				d1 := 0.0
				if len(a)%2 == 1 {
					d1, k = a[0], 1
				}
				for ; k+3 < len(a); k += 4 {
					if op == 26 {
						curveTo(d1, a[k], a[k+1], a[k+2], 0, a[k+3])
					} else {
						curveTo(a[k], d1, a[k+1], a[k+2], a[k+3], 0)
					}
					d1 = 0
				}
				stack = stack[:0]
			case 30, 31: // vhcurveto, hvcurveto: alternating
				horiz := op == 31
				for k := 0; k+3 < len(a); k += 4 {
					last := 0.0
					if len(a)-k == 5 {
						last = a[k+4]
					}
					if horiz {
						curveTo(a[k], 0, a[k+1], a[k+2], last, a[k+3])
					} else {
						curveTo(0, a[k], a[k+1], a[k+2], a[k+3], last)
					}
					horiz = !horiz
				}
				stack = stack[:0]
			case 1235: // flex
				if err := need(12); err != nil {
					return false, err
				}
				curveTo(a[0], a[1], a[2], a[3], a[4], a[5])
				curveTo(a[6], a[7], a[8], a[9], a[10], a[11])
				stack = stack[:0]
			case 1234: // hflex
				if err := need(7); err != nil {
					return false, err
				}
				curveTo(a[0], 0, a[1], a[2], a[3], 0)
				curveTo(a[4], 0, a[5], -a[2], a[6], 0)
				stack = stack[:0]
			case 1236: // hflex1
				if err := need(9); err != nil {
					return false, err
				}
				curveTo(a[0], a[1], a[2], a[3], a[4], 0)
				curveTo(a[5], 0, a[6], a[7], a[8], -(a[1] + a[3] + a[7]))
				stack = stack[:0]
			case 1237: // flex1
				if err := need(11); err != nil {
					return false, err
				}
				dx := a[0] + a[2] + a[4] + a[6] + a[8]
				dy := a[1] + a[3] + a[5] + a[7] + a[9]
				curveTo(a[0], a[1], a[2], a[3], a[4], a[5])
				if math.Abs(dx) > math.Abs(dy) {
					curveTo(a[6], a[7], a[8], a[9], a[10], -dy)
				} else {
					curveTo(a[6], a[7], a[8], a[9], -dx, a[10])
				}
				stack = stack[:0]
			case 10, 29: // callsubr, callgsubr
				if err := need(1); err != nil {
					return false, err
				}
				subrs := f.subrs
				if op == 29 {
					subrs = f.gsubrs
				}
				n := int(stack[len(stack)-1]) + subrBias(len(subrs))
				stack = stack[:len(stack)-1]
				if n < 0 || n >= len(subrs) {
					return false, fmt.Errorf("cff: subroutine %d out of range", n)
				}
				if end, err := run(subrs[n]); err != nil || end {
					return end, err
				}
			case 11: // return
				return false, nil
			case 14: // endchar
				takeWidth(false)
				if open {
					z.ClosePath()
					open = false
				}
				return true, nil
			default:
				return false, fmt.Errorf("cff: unsupported operator %d", op)
			}
		}
		return false, nil
	}
	_, err := run(f.charStrings[gid])
	if open {
		z.ClosePath()
	}
	return err
}

// glyphMask rasterises rune r with an em of ppem pixels; off is the mask's
// top-left relative to the pen on the baseline, adv the advance in pixels.
func (f *cffFont) glyphMask(r rune, ppem float64) (mask *image.Alpha, off image.Point, adv float64, ok bool) {
	var buf sfnt.Buffer
	gid, err := f.sf.GlyphIndex(&buf, r)
	if err != nil || gid == 0 {
		return nil, image.Point{}, 0, false
	}
	a, err := f.sf.GlyphAdvance(&buf, gid, fixedI(ppem), 0)
	if err != nil {
		return nil, image.Point{}, 0, false
	}
	adv = float64(a) / 64
	bounds, _, err := f.sf.GlyphBounds(&buf, gid, fixedI(ppem), 0)
	if err != nil {
		// GlyphBounds uses the head table's box for CFF glyphs it cannot
		// load; fall back to the font's.
		bounds, err = f.sf.Bounds(&buf, fixedI(ppem), 0)
		if err != nil {
			return nil, image.Point{}, 0, false
		}
	}
	x0, y0 := int(math.Floor(float64(bounds.Min.X)/64))-1, int(math.Floor(float64(bounds.Min.Y)/64))-1
	x1, y1 := int(math.Ceil(float64(bounds.Max.X)/64))+1, int(math.Ceil(float64(bounds.Max.Y)/64))+1
	if x1 <= x0 || y1 <= y0 || (x1-x0)*(y1-y0) > 1<<22 {
		return nil, image.Point{}, adv, true
	}
	z := vector.NewRasterizer(x1-x0, y1-y0)
	s := ppem / f.unitsPerEm
	if err := f.outline(int(gid), s, float64(-x0), float64(-y0), z); err != nil {
		return nil, image.Point{}, adv, false
	}
	mask = image.NewAlpha(image.Rect(0, 0, x1-x0, y1-y0))
	z.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	return mask, image.Pt(x0, y0), adv, true
}

func fixedI(v float64) fixed.Int26_6 { return fixed.Int26_6(math.Round(v * 64)) }
