package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"checkpost/devices/sim"
)

func init() {
	var (
		model, forgery, degrade, out string
		count                        int
		seed                         uint64
		ppi                          float64
		list, overwrite              bool
	)
	register(&command{
		Path:    "simulate",
		Summary: "render labelled white/IR/UV captures of synthetic documents, genuine and forged",
		Usage:   "simulate [--model M] --count N --seed S [--forgery F] [--degrade D] [--ppi P] --out DIR | --list",
		Help: `Renders synthetic document captures as a document reader would take them,
under white, infrared and ultraviolet light, with their ground truth. Each
capture goes into its own folder DIR/NNNNNN-MODEL-SEED/ holding white.png,
ir.png, uv.png (back_*.png too for a card whose MRZ is on the back) and
truth.json: the model, the forgery label ("none" when genuine), the MRZ
lines, the data the MRZ encodes, the printed fields, and regions (page, mrz,
mrz.lineN, portrait, field.NAME, uv.overprint, ...) in pixels of the written
images, after the degradations.

The output depends only on the flags: the same seed renders byte-identical
files. Capture i uses the seed S+i, recorded in its truth.json, and the
document drawn from a seed is the same whatever the forgeries and
degradations, so that a forged capture can be compared with its genuine twin.

--forgery and --degrade take comma-separated names, each with an optional
":strength" (see --list for names and units). "random" draws a mix per
capture: half genuine, the rest one or two forgeries; a random set of
degradations with random strengths.

Examples:
  checkpost simulate --list
  checkpost simulate --count 100 --seed 1 --out var/sim/genuine
  checkpost simulate --model uto-id-card --count 20 --seed 7 --forgery photocopy --out var/sim/copies
  checkpost simulate --count 50 --seed 3 --forgery uv-bright-paper:0.6,mrz-altered --degrade rotate:180,jpeg:35 --out var/sim/x
  checkpost simulate --count 10000 --seed 42 --forgery random --degrade random --out var/sim/eval`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&model, "model", sim.DefaultModel, "document model (see --list)")
			fs.IntVar(&count, "count", 0, "number of captures to render")
			fs.Uint64Var(&seed, "seed", 0, "seed of the first capture (capture i uses seed+i)")
			fs.StringVar(&forgery, "forgery", "none", `forgeries: none, random, or NAME[:STRENGTH],... (see --list)`)
			fs.StringVar(&degrade, "degrade", "none", `degradations: none, random, or NAME[:STRENGTH],... (see --list)`)
			fs.Float64Var(&ppi, "ppi", sim.DefaultPPI, fmt.Sprintf("rendering resolution in pixels per inch (%d..%d)", sim.MinPPI, sim.MaxPPI))
			fs.StringVar(&out, "out", "", "output folder (created); capture folders already there are not overwritten")
			fs.BoolVar(&overwrite, "overwrite", false, "replace capture folders that already exist")
			fs.BoolVar(&list, "list", false, "list the models, forgeries and degradations, then exit")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			if list {
				printSimList(cli.Stdout)
				return nil
			}
			if _, err := sim.LookupModel(model); err != nil {
				return usageError("--model: %v", err)
			}
			if count <= 0 {
				return usageError("--count must be at least 1")
			}
			if !setFlag(cli.Flags, "seed") {
				return usageError("--seed is required (the output is reproducible from it)")
			}
			if out == "" {
				return usageError("--out is required")
			}
			if ppi < sim.MinPPI || ppi > sim.MaxPPI {
				return usageError("--ppi %g outside %d..%d", ppi, sim.MinPPI, sim.MaxPPI)
			}
			pickForgeries, err := forgeryPicker(forgery)
			if err != nil {
				return usageError("--forgery: %v", err)
			}
			pickDegradations, err := degradationPicker(degrade)
			if err != nil {
				return usageError("--degrade: %v", err)
			}
			s, err := sim.New()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			bar := newProgress(cli.Stderr, count)
			written, skipped := 0, 0
			for i := 0; i < count; i++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				capSeed := seed + uint64(i)
				dir := filepath.Join(out, fmt.Sprintf("%06d-%s-%d", i, model, capSeed))
				if _, err := os.Stat(dir); err == nil && !overwrite {
					skipped++
					bar.step()
					continue
				}
				spec := sim.Spec{Model: model, Seed: capSeed, PPI: ppi,
					Forgeries: pickForgeries(capSeed), Degradations: pickDegradations(capSeed)}
				c, err := s.Render(spec)
				if err != nil {
					return err
				}
				if err := c.Save(dir); err != nil {
					return err
				}
				written++
				bar.step()
			}
			bar.done()
			if skipped > 0 {
				fmt.Fprintf(cli.Stderr, "kept %d capture folders that already existed (--overwrite replaces them)\n", skipped)
			}
			fmt.Fprintf(cli.Stderr, "wrote %d captures to %s\n", written, out)
			return nil
		},
	})
}

func setFlag(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}

// forgeryPicker returns, per capture seed, the forgeries to apply.
func forgeryPicker(s string) (func(uint64) []sim.Applied, error) {
	if s != "random" {
		fs, err := sim.ParseForgeries(s)
		if err != nil {
			return nil, err
		}
		return func(uint64) []sim.Applied { return fs }, nil
	}
	kinds := sim.Forgeries()
	return func(seed uint64) []sim.Applied {
		rng := rand.New(rand.NewPCG(seed, 0xf0f0))
		if rng.IntN(2) == 0 {
			return nil
		}
		n := 1 + rng.IntN(2)
		var names []string
		for _, k := range rng.Perm(len(kinds))[:n] {
			names = append(names, kinds[k].Name)
		}
		fs, err := sim.ParseForgeries(strings.Join(names, ","))
		if err != nil {
			panic(err) // names come from the list itself
		}
		return fs
	}, nil
}

// degradationPicker returns, per capture seed, the degradations to apply.
func degradationPicker(s string) (func(uint64) []sim.Applied, error) {
	if s != "random" {
		ds, err := sim.ParseDegradations(s)
		if err != nil {
			return nil, err
		}
		return func(uint64) []sim.Applied { return ds }, nil
	}
	kinds := sim.Degradations()
	return func(seed uint64) []sim.Applied {
		rng := rand.New(rand.NewPCG(seed, 0xd0d0))
		var items []string
		for _, k := range kinds {
			if rng.IntN(4) != 0 {
				continue
			}
			if k.Random {
				items = append(items, k.Name) // drawn by the simulator
				continue
			}
			v := k.Min + rng.Float64()*(k.Default*1.8-k.Min)
			v = min(v, k.Max)
			items = append(items, fmt.Sprintf("%s:%.3g", k.Name, v))
		}
		ds, err := sim.ParseDegradations(strings.Join(items, ","))
		if err != nil {
			panic(err)
		}
		return ds
	}, nil
}

func printSimList(w io.Writer) {
	fmt.Fprintln(w, "Models:")
	for _, m := range sim.Models() {
		def := ""
		if m.Name == sim.DefaultModel {
			def = " (default)"
		}
		fmt.Fprintf(w, "  %-24s %s%s\n", m.Name, m.Title, def)
	}
	fmt.Fprintln(w, "\nForgeries (--forgery NAME[:STRENGTH],...):")
	for _, k := range sim.Forgeries() {
		fmt.Fprintf(w, "  %-24s %s%s\n", k.Name, k.Doc, paramText(k))
	}
	fmt.Fprintln(w, "\nDegradations (--degrade NAME[:STRENGTH],...):")
	for _, k := range sim.Degradations() {
		fmt.Fprintf(w, "  %-24s %s%s\n", k.Name, k.Doc, paramText(k))
	}
}

func paramText(k sim.Kind) string {
	if k.Param == "" {
		return ""
	}
	def := fmt.Sprintf("default %g", k.Default)
	if k.Random {
		def = "random when not given"
	}
	return fmt.Sprintf(" [strength: %s, %g..%g, %s]", k.Param, k.Min, k.Max, def)
}

// progress draws a progress bar on a terminal's line, rewriting it.
type progress struct {
	w     io.Writer
	total int
	n     int
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, start: time.Now()}
}

func (p *progress) step() {
	p.n++
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond || p.n == p.total {
		p.last = now
		p.draw()
	}
}

func (p *progress) draw() {
	const width = 30
	filled := width * p.n / p.total
	rate := float64(p.n) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %.1f/s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.n, p.total, rate)
}

func (p *progress) done() { fmt.Fprintln(p.w) }
