package ocrb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// Hidden is the number of hidden units of the network.
const Hidden = 160

// Model is a trained classifier: CellSize inputs, one hidden layer of
// Hidden rectified linear units, NumClasses softmax outputs. It is
// read-only after training, so one Model serves any number of goroutines.
type Model struct {
	W1 []float32 // Hidden x CellSize, row per hidden unit
	B1 []float32 // Hidden
	W2 []float32 // NumClasses x Hidden
	B2 []float32 // NumClasses
	// Config is what the model was trained with (its cache key).
	Config TrainConfig
	// Validation is the accuracy on the held-out generated cells of
	// training (TrainConfig.ValidationPerClass per class), 0 when none.
	Validation float64
}

func newModel() *Model {
	return &Model{
		W1: make([]float32, Hidden*CellSize), B1: make([]float32, Hidden),
		W2: make([]float32, NumClasses*Hidden), B2: make([]float32, NumClasses),
	}
}

// Scores holds the class probabilities of one cell, indexed like Charset.
type Scores [NumClasses]float32

// Classify computes the probabilities of every class for c into p. It
// allocates nothing.
func (m *Model) Classify(c *Cell, p *Scores) {
	var h [Hidden]float32
	m.hidden(c, &h)
	m.output(&h, p)
}

func (m *Model) hidden(c *Cell, h *[Hidden]float32) {
	for j := 0; j < Hidden; j++ {
		w := m.W1[j*CellSize : (j+1)*CellSize : (j+1)*CellSize]
		s := m.B1[j] + dot(w, c[:])
		if s < 0 {
			s = 0
		}
		h[j] = s
	}
}

func (m *Model) output(h *[Hidden]float32, p *Scores) {
	mx := float32(math.Inf(-1))
	for k := 0; k < NumClasses; k++ {
		w := m.W2[k*Hidden : (k+1)*Hidden : (k+1)*Hidden]
		s := m.B2[k] + dot(w, h[:])
		p[k] = s
		mx = max(mx, s)
	}
	var sum float32
	for k := range p {
		e := float32(math.Exp(float64(p[k] - mx)))
		p[k] = e
		sum += e
	}
	for k := range p {
		p[k] /= sum
	}
}

// dot is the inner product of two equally long vectors, unrolled by four
// (the compiler does not vectorise; this halves the network's time).
func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Candidate is one class and its probability.
type Candidate struct {
	Char byte
	P    float32
}

// Top returns the k most probable classes of p, best first, into dst
// (reused; pass nil to allocate).
func (p *Scores) Top(k int, dst []Candidate) []Candidate {
	dst = dst[:0]
	for i, v := range p {
		c := Candidate{Char: Charset[i], P: v}
		if len(dst) < k {
			dst = append(dst, c)
		} else if v > dst[len(dst)-1].P {
			dst[len(dst)-1] = c
		} else {
			continue
		}
		for j := len(dst) - 1; j > 0 && dst[j].P > dst[j-1].P; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst
}

// Of returns the probability of character ch (0 for a non-MRZ character).
func (p *Scores) Of(ch byte) float32 {
	if k := ClassOf(ch); k >= 0 {
		return p[k]
	}
	return 0
}

// The serialised form: magic, format version, the training config as
// JSON-free fixed fields, the tensors, CRC-32 of everything before it.
const (
	modelMagic   = "CPOCRB\x00\x01"
	modelVersion = 1
)

// ErrBadModel is wrapped by UnmarshalBinary's errors.
var ErrBadModel = errors.New("ocrb: bad model file")

// MarshalBinary writes the model in a versioned little-endian form with a
// checksum.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(modelMagic)
	cfg := m.Config.encode()
	hdr := []uint32{modelVersion, CellW, CellH, Hidden, uint32(NumClasses), uint32(len(cfg))}
	for _, v := range hdr {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.Write(cfg)
	binary.Write(&b, binary.LittleEndian, m.Validation)
	for _, t := range [][]float32{m.W1, m.B1, m.W2, m.B2} {
		binary.Write(&b, binary.LittleEndian, t)
	}
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes(), nil
}

// UnmarshalBinary reads what MarshalBinary wrote; a file of another
// version or shape, or a damaged one, is an error wrapping ErrBadModel.
func (m *Model) UnmarshalBinary(data []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrBadModel, what) }
	if len(data) < len(modelMagic)+4 || string(data[:len(modelMagic)]) != modelMagic {
		return bad("not an OCR-B model")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return bad("checksum mismatch")
	}
	r := bytes.NewReader(body[len(modelMagic):])
	var hdr [6]uint32
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return bad("short header")
	}
	if hdr[0] != modelVersion || hdr[1] != CellW || hdr[2] != CellH || hdr[3] != Hidden || hdr[4] != uint32(NumClasses) {
		return bad(fmt.Sprintf("version %d, shape %dx%d/%d/%d, want version %d, %dx%d/%d/%d",
			hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], modelVersion, CellW, CellH, Hidden, NumClasses))
	}
	if int(hdr[5]) > r.Len() {
		return bad("config longer than the file")
	}
	cfg := make([]byte, hdr[5])
	io.ReadFull(r, cfg)
	n := newModel()
	if err := n.Config.decode(cfg); err != nil {
		return bad(err.Error())
	}
	if err := binary.Read(r, binary.LittleEndian, &n.Validation); err != nil {
		return bad("short file")
	}
	for _, t := range [][]float32{n.W1, n.B1, n.W2, n.B2} {
		if err := binary.Read(r, binary.LittleEndian, t); err != nil {
			return bad("short tensors")
		}
	}
	if r.Len() != 0 {
		return bad("trailing bytes")
	}
	for _, t := range [][]float32{n.W1, n.B1, n.W2, n.B2} {
		for _, v := range t {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return bad("weights not finite")
			}
		}
	}
	*m = *n
	return nil
}
