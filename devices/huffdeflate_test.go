package devices

import (
	"bytes"
	"compress/zlib"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"testing"
)

// TestHuffZlibRoundTrip: what huffZlib writes, compress/zlib reads back
// byte for byte, for the shapes of data a capture gives (one repeated
// byte, skewed, uniform, empty, several blocks, writes of every size).
func TestHuffZlibRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	skewed := make([]byte, 3*huffBlockSize+12345)
	for i := range skewed {
		// Geometric-like: mostly 0, tails up to 255 (deep codes).
		v := 0
		for v < 255 && rng.IntN(3) == 0 {
			v++
		}
		skewed[i] = byte(v)
	}
	uniform := make([]byte, huffBlockSize+7)
	for i := range uniform {
		uniform[i] = byte(rng.IntN(256))
	}
	for name, data := range map[string][]byte{
		"empty":   nil,
		"one":     {42},
		"zeros":   make([]byte, huffBlockSize*2),
		"skewed":  skewed,
		"uniform": uniform,
	} {
		var buf bytes.Buffer
		z := newHuffZlib(&buf)
		for p := data; len(p) > 0; {
			k := min(len(p), 1+rng.IntN(100000))
			if _, err := z.Write(p[:k]); err != nil {
				t.Fatal(err)
			}
			p = p[k:]
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		z.release()
		r, err := zlib.NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%s: %d bytes back, want %d, or different", name, len(got), len(data))
		}
		if name == "zeros" && buf.Len() > len(data)/7 {
			t.Errorf("zeros: %d bytes for %d: the one-symbol code should take a bit per byte", buf.Len(), len(data))
		}
	}
}

func TestAdler32Update(t *testing.T) {
	data := make([]byte, 20000)
	for i := range data {
		data[i] = byte(255 - i%7) // high bytes: the reductions matter
	}
	a := uint32(1)
	rest := data
	for _, k := range []int{0, 1, 5551, 5552, 5553} {
		a = adler32Update(a, rest[:k])
		rest = rest[k:]
	}
	a = adler32Update(a, rest)
	if want := adler32.Checksum(data); a != want {
		t.Fatalf("adler32Update %08x, want %08x", a, want)
	}
}
