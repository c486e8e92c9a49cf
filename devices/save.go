package devices

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Save writes the capture into dir (created when missing) as white.png,
// ir.png, uv.png, coaxial.png (those present), back_*.png for the back and
// truth.json when the capture has ground truth. PNGs are written with fast
// compression and a pHYs chunk stating the resolution. Each file is written
// to a temporary name and renamed, so that a reader never sees half a file.
func (c *Capture) Save(dir string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	// The images are encoded concurrently: PNG compression costs far more
	// than rendering, and the lights are independent.
	type job struct {
		name string
		im   image.Image
	}
	var jobs []job
	sides := []struct {
		prefix string
		side   *Side
	}{{"", &c.Side}, {"back_", c.Back}}
	for _, s := range sides {
		if s.side == nil {
			continue
		}
		for _, l := range s.side.Lights() {
			jobs = append(jobs, job{s.prefix + string(l), s.side.Image(l)})
		}
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := encodeBuffers.Get().(*bytes.Buffer)
			defer encodeBuffers.Put(buf)
			buf.Reset()
			if err := EncodePNG(buf, j.im, c.PPI); err != nil {
				errs[i] = fmt.Errorf("devices: %s: %w", j.name, err)
				return
			}
			errs[i] = writeFileAtomic(filepath.Join(dir, j.name+".png"), buf.Bytes())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if c.Truth != nil {
		// No HTML escaping: MRZ fillers stay "<", not "\u003c".
		var tb bytes.Buffer
		enc := json.NewEncoder(&tb)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c.Truth); err != nil {
			return fmt.Errorf("devices: truth: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(dir, TruthFile), tb.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// pngEncoder compresses fast: captures are written by the thousand and
// read once; BestSpeed costs about a third of the default's time for files
// some 20% larger.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}
func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

// EncodePNG writes im as a PNG with a pHYs chunk for ppi (none when ppi is
// 0) to w.
func EncodePNG(w io.Writer, im image.Image, ppi float64) error {
	if done, err := fastPNG(w, im, ppi); done {
		return err
	}
	if ppi <= 0 {
		return pngEncoder.Encode(w, im)
	}
	pw := &physWriter{w: w}
	perMetre := uint32(ppi/0.0254 + 0.5)
	binary.BigEndian.PutUint32(pw.chunk[0:], 9)
	copy(pw.chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(pw.chunk[8:], perMetre)
	binary.BigEndian.PutUint32(pw.chunk[12:], perMetre)
	pw.chunk[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(pw.chunk[17:], crc32.ChecksumIEEE(pw.chunk[4:17]))
	return pngEncoder.Encode(pw, im)
}

// physWriter inserts a pHYs chunk right after IHDR (signature 8 bytes, IHDR
// chunk 25 bytes), where the PNG specification allows it: image/png writes
// none.
type physWriter struct {
	w     io.Writer
	n     int
	chunk [21]byte
}

func (p *physWriter) Write(b []byte) (int, error) {
	const afterIHDR = 8 + 25
	written := 0
	if p.n < afterIHDR && p.n+len(b) >= afterIHDR {
		k := afterIHDR - p.n
		if _, err := p.w.Write(b[:k]); err != nil {
			return 0, err
		}
		if _, err := p.w.Write(p.chunk[:]); err != nil {
			return k, err
		}
		p.n += k
		written, b = k, b[k:]
	}
	n, err := p.w.Write(b)
	p.n += n
	return written + n, err
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	// CreateTemp makes the file private; captures are shared data.
	werr := tmp.Chmod(0o644)
	if werr == nil {
		_, werr = tmp.Write(data)
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("devices: %s: %w", path, werr)
	}
	return nil
}
