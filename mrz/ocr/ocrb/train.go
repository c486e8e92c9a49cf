package ocrb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"checkpost/devices/sim"
)

// TrainConfig says how to train a model. The same config and font train
// the same model, byte for byte, whatever the number of processors.
type TrainConfig struct {
	// Seed drives the generated cells, the initial weights and the order
	// of the samples.
	Seed uint64
	// PerClass is the number of generated training cells per character.
	PerClass int
	// ValidationPerClass is the number of held-out cells per character
	// (from another seed) on which Model.Validation is measured.
	ValidationPerClass int
	// Epochs is the number of passes over the training cells.
	Epochs int
}

// DefaultTrainConfig is what readers train with.
var DefaultTrainConfig = TrainConfig{Seed: 1, PerClass: 1500, ValidationPerClass: 60, Epochs: 8}

// generatorVersion changes whenever the rendering or augmentation of the
// training cells changes, so that cached models trained by older code are
// not reused.
const generatorVersion = 2

// Limits that keep a config from asking for hours of work or gigabytes.
const (
	maxPerClass = 20000
	maxEpochs   = 50
)

func (c TrainConfig) validate() error {
	switch {
	case c.PerClass < 1 || c.PerClass > maxPerClass:
		return fmt.Errorf("ocrb: %d cells per class is not between 1 and %d", c.PerClass, maxPerClass)
	case c.ValidationPerClass < 0 || c.ValidationPerClass > maxPerClass:
		return fmt.Errorf("ocrb: %d validation cells per class is not between 0 and %d", c.ValidationPerClass, maxPerClass)
	case c.Epochs < 1 || c.Epochs > maxEpochs:
		return fmt.Errorf("ocrb: %d epochs is not between 1 and %d", c.Epochs, maxEpochs)
	}
	return nil
}

func (c TrainConfig) encode() []byte {
	b := make([]byte, 0, 32)
	b = binary.LittleEndian.AppendUint64(b, c.Seed)
	b = binary.LittleEndian.AppendUint32(b, uint32(c.PerClass))
	b = binary.LittleEndian.AppendUint32(b, uint32(c.ValidationPerClass))
	b = binary.LittleEndian.AppendUint32(b, uint32(c.Epochs))
	b = binary.LittleEndian.AppendUint32(b, generatorVersion)
	return b
}

func (c *TrainConfig) decode(b []byte) error {
	if len(b) != 24 {
		return errors.New("config of the wrong size")
	}
	c.Seed = binary.LittleEndian.Uint64(b)
	c.PerClass = int(binary.LittleEndian.Uint32(b[8:]))
	c.ValidationPerClass = int(binary.LittleEndian.Uint32(b[12:]))
	c.Epochs = int(binary.LittleEndian.Uint32(b[16:]))
	if v := binary.LittleEndian.Uint32(b[20:]); v != generatorVersion {
		return fmt.Errorf("trained by generator version %d, this is %d", v, generatorVersion)
	}
	return c.validate()
}

// Progress is told how far training is: a stage name and done of total.
type Progress func(stage string, done, total int)

// Train renders the training cells and trains a model. It is
// deterministic for one config; ctx cancels it.
func Train(ctx context.Context, cfg TrainConfig, progress Progress) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	font, err := sim.LoadOCRB()
	if err != nil {
		return nil, fmt.Errorf("ocrb: %w", err)
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	train, err := generate(ctx, font, cfg.Seed, cfg.PerClass, "render training cells", progress)
	if err != nil {
		return nil, err
	}
	m := newModel()
	m.Config = cfg
	if err := m.fit(ctx, train, cfg, progress); err != nil {
		return nil, err
	}
	if cfg.ValidationPerClass > 0 {
		val, err := generate(ctx, font, cfg.Seed^0x5EED5EED5EED5EED, cfg.ValidationPerClass, "render validation cells", progress)
		if err != nil {
			return nil, err
		}
		m.Validation = m.accuracy(val)
	}
	return m, nil
}

// dataset holds cells quantised to bytes (a quarter of the memory of
// floats) and their classes.
type dataset struct {
	x []uint8
	y []uint8
}

func (d *dataset) len() int { return len(d.y) }

func (d *dataset) cell(i int, c *Cell) {
	row := d.x[i*CellSize : (i+1)*CellSize]
	for k, v := range row {
		c[k] = float32(v) * (1.0 / 255)
	}
}

// generate renders perClass cells of every class with seed, in parallel;
// sample i is class i mod NumClasses.
func generate(ctx context.Context, font *sim.OCRB, seed uint64, perClass int, stage string, progress Progress) (*dataset, error) {
	n := perClass * NumClasses
	d := &dataset{x: make([]uint8, n*CellSize), y: make([]uint8, n)}
	s := &sampler{font: font, seed: seed}
	workers := max(1, runtime.GOMAXPROCS(0))
	const chunk = 256
	var (
		mu   sync.Mutex
		next int
		done int
		wg   sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc scratch
			var c Cell
			for {
				mu.Lock()
				start := next
				next += chunk
				mu.Unlock()
				if start >= n || ctx.Err() != nil {
					return
				}
				end := min(start+chunk, n)
				for i := start; i < end; i++ {
					cls := i % NumClasses
					s.sample(uint64(i), cls, &sc, &c)
					row := d.x[i*CellSize : (i+1)*CellSize]
					for k, v := range c {
						row[k] = uint8(v*255 + 0.5)
					}
					d.y[i] = uint8(cls)
				}
				mu.Lock()
				done += end - start
				dn := done
				mu.Unlock()
				progress(stage, dn, n)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return d, nil
}

// grads accumulates one shard's gradients.
type grads struct {
	w1, b1, w2, b2 []float32
	loss           float64
}

func newGrads() *grads {
	return &grads{
		w1: make([]float32, Hidden*CellSize), b1: make([]float32, Hidden),
		w2: make([]float32, NumClasses*Hidden), b2: make([]float32, NumClasses),
	}
}

func (g *grads) zero() {
	clear(g.w1)
	clear(g.b1)
	clear(g.w2)
	clear(g.b2)
	g.loss = 0
}

// Training constants: mini-batches of batch cells split into shards
// computed in parallel and summed in a fixed order (so that the result
// does not depend on the number of processors).
const (
	batch        = 32
	shards       = 4
	momentum     = 0.9
	baseRate     = 0.04
	weightDecay  = 1e-5
	labelSmooth  = 0.02
	maxGradValue = 5
)

func (m *Model) fit(ctx context.Context, d *dataset, cfg TrainConfig, progress Progress) error {
	r := rand.New(rand.NewPCG(cfg.Seed, 0xC0FFEE))
	// He initialisation.
	s1 := math.Sqrt(2.0 / CellSize)
	for i := range m.W1 {
		m.W1[i] = float32(r.NormFloat64() * s1)
	}
	s2 := math.Sqrt(2.0 / Hidden)
	for i := range m.W2 {
		m.W2[i] = float32(r.NormFloat64() * s2)
	}
	vel := newGrads()
	gs := make([]*grads, shards)
	for i := range gs {
		gs[i] = newGrads()
	}
	n := d.len()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	steps := cfg.Epochs * ((n + batch - 1) / batch)
	step := 0
	var wg sync.WaitGroup
	for ep := 0; ep < cfg.Epochs; ep++ {
		r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b0 := 0; b0 < n; b0 += batch {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b1 := min(b0+batch, n)
			per := (b1 - b0 + shards - 1) / shards
			for s := 0; s < shards; s++ {
				lo, hi := b0+s*per, min(b0+(s+1)*per, b1)
				g := gs[s]
				g.zero()
				if lo >= hi {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					var c Cell
					for _, idx := range order[lo:hi] {
						d.cell(idx, &c)
						m.backprop(&c, int(d.y[idx]), g)
					}
				}()
			}
			wg.Wait()
			for s := 1; s < shards; s++ {
				addTo(gs[0].w1, gs[s].w1)
				addTo(gs[0].b1, gs[s].b1)
				addTo(gs[0].w2, gs[s].w2)
				addTo(gs[0].b2, gs[s].b2)
			}
			// Cosine decay of the learning rate.
			rate := float32(baseRate * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(steps))))
			scale := 1 / float32(b1-b0)
			update(m.W1, gs[0].w1, vel.w1, rate, scale, weightDecay)
			update(m.B1, gs[0].b1, vel.b1, rate, scale, 0)
			update(m.W2, gs[0].w2, vel.w2, rate, scale, weightDecay)
			update(m.B2, gs[0].b2, vel.b2, rate, scale, 0)
			step++
			if step%200 == 0 || step == steps {
				progress("train", step, steps)
			}
		}
	}
	return nil
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

func update(w, g, v []float32, rate, scale, decay float32) {
	g = g[:len(w)]
	v = v[:len(w)]
	for i := range w {
		gi := g[i]*scale + decay*w[i]
		if gi > maxGradValue {
			gi = maxGradValue
		} else if gi < -maxGradValue {
			gi = -maxGradValue
		}
		v[i] = momentum*v[i] - rate*gi
		w[i] += v[i]
	}
}

// backprop adds the gradient of the cross-entropy loss of one cell to g.
func (m *Model) backprop(c *Cell, y int, g *grads) {
	var h [Hidden]float32
	var p Scores
	m.hidden(c, &h)
	m.output(&h, &p)
	var dz [NumClasses]float32
	const off = labelSmooth / float64(NumClasses)
	for k := range dz {
		t := float32(off)
		if k == y {
			t += 1 - labelSmooth
		}
		dz[k] = p[k] - t
		g.b2[k] += dz[k]
	}
	g.loss -= math.Log(math.Max(float64(p[y]), 1e-12))
	var dh [Hidden]float32
	for k := 0; k < NumClasses; k++ {
		d := dz[k]
		w := m.W2[k*Hidden : (k+1)*Hidden]
		gw := g.w2[k*Hidden : (k+1)*Hidden]
		for j := range Hidden {
			gw[j] += d * h[j]
			dh[j] += d * w[j]
		}
	}
	for j := 0; j < Hidden; j++ {
		if h[j] <= 0 {
			continue
		}
		d := dh[j]
		g.b1[j] += d
		gw := g.w1[j*CellSize : (j+1)*CellSize]
		for i, x := range c {
			gw[i] += d * x
		}
	}
}

// accuracy is the share of d's cells whose best class is right.
func (m *Model) accuracy(d *dataset) float64 {
	var c Cell
	var p Scores
	right := 0
	for i := 0; i < d.len(); i++ {
		d.cell(i, &c)
		m.Classify(&c, &p)
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		if best == int(d.y[i]) {
			right++
		}
	}
	return float64(right) / float64(max(1, d.len()))
}
