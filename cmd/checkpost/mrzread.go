package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"checkpost/devices"
	"checkpost/mrz/ocr"
)

// mrzReadLine is one line of `mrz read --json`: one input image, one PDF
// page or one capture folder.
type mrzReadLine struct {
	File           string            `json:"file"`
	Page           int               `json:"page,omitempty"`
	Found          bool              `json:"found"`
	Reason         string            `json:"reason,omitempty"`
	Lines          []string          `json:"lines"`
	Valid          bool              `json:"valid"`
	Format         string            `json:"format"`
	MS             float64           `json:"ms"`
	Read           []string          `json:"read,omitempty"`
	MinConfidence  float64           `json:"min_confidence,omitempty"`
	MeanConfidence float64           `json:"mean_confidence,omitempty"`
	Quad           *[4]devices.Point `json:"quad,omitempty"`
	Angle          float64           `json:"angle,omitempty"`
	Light          devices.Light     `json:"light,omitempty"`
	Side           string            `json:"side,omitempty"`
	Error          string            `json:"error,omitempty"`
}

// progressFrom is the number of inputs from which `mrz read` draws a
// progress bar.
const progressFrom = 10

func init() {
	var (
		asJSON   bool
		ppi      float64
		cacheDir string
	)
	register(&command{
		Path:    "mrz read",
		Summary: "find and read the MRZ in images, PDFs and capture folders",
		Usage:   "mrz read [--json] [--ppi N] [--cache-dir DIR] FILE...",
		Help: `Finds the machine readable zone in each FILE wherever it is (any rotation,
upside down included, perspective of a phone photo, 150-600 ppi), reads it
with checkpost's own OCR-B classifier, repairs ambiguous characters with
the check digits and field classes, and validates it.

A FILE is an image (JPEG, PNG, BMP, TIFF; an EXIF orientation is applied),
a PDF (every page, rendered at --ppi), or a capture folder as written by
"checkpost simulate" or a document reader (white.png, ir.png, ...): the
IR image is read first, then the white one, the front and then the back.

The classifier is trained from the OCR-B font on the first start (about
a minute on a small machine) and cached in $CHECKPOST_CACHE_DIR or
~/.cache/checkpost; later starts load it in milliseconds.

With --json, one JSON object per input (per page for a PDF) per line:
{"file", "page", "found", "reason", "lines" (after repair), "valid",
"format", "ms", "read" (before repair), "min_confidence", "quad" (the
zone's corners in the image's pixels), "angle", "light", "side"}, or
{"file", "error"} when the file cannot be read. Without --json, each
zone's lines and status, then a summary. With 10 or more inputs a
progress bar is drawn on standard error.

Exit status: 0 when every input holds a valid MRZ, 1 when any has none,
an invalid one or cannot be read, 2 on a usage error.

Examples:
  checkpost mrz read scan.jpg
  checkpost mrz read --json passport.pdf photo.heic.jpg
  checkpost simulate --count 20 --seed 5 --degrade rotate:180 --out /tmp/sim
  checkpost mrz read --json /tmp/sim/*`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object per input (per PDF page) per line")
			fs.Float64Var(&ppi, "ppi", 300, "resolution PDF pages are rendered at, 72..600")
			fs.StringVar(&cacheDir, "cache-dir", "", "folder of the trained classifier (default $CHECKPOST_CACHE_DIR or ~/.cache/checkpost)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) == 0 {
				return usageError("no FILE to read")
			}
			if ppi < 72 || ppi > 600 {
				return usageError("--ppi: %g is not between 72 and 600", ppi)
			}
			r := ocr.New(ocr.Options{CacheDir: cacheDir, PDFPPI: ppi})
			defer r.Close()
			// Give a cached model a moment to load before saying that it
			// trains.
			wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			_ = r.Wait(wctx)
			cancel()
			start := time.Now()
			if errors.Is(r.Ready(ctx), ocr.ErrLoading) {
				fmt.Fprintln(cli.Stderr, "training the OCR-B classifier (first start only; cached afterwards)...")
			}
			if err := r.Wait(ctx); err != nil {
				return err
			}
			if _, trained := r.Model(); trained {
				fmt.Fprintf(cli.Stderr, "classifier trained in %v\n", time.Since(start).Round(time.Second))
			}
			var bar *progress
			if len(args) >= progressFrom {
				bar = newProgress(cli.Stderr, len(args))
			}
			enc := json.NewEncoder(cli.Stdout)
			enc.SetEscapeHTML(false)
			var (
				outs                      []mrzReadLine
				times                     []float64
				nFound, nValid, nErr, nIn int
			)
			for _, path := range args {
				if err := ctx.Err(); err != nil {
					return err
				}
				lines := readOneMRZ(ctx, r, path)
				for _, l := range lines {
					nIn++
					switch {
					case l.Error != "":
						nErr++
					case l.Found:
						nFound++
						times = append(times, l.MS)
						if l.Valid {
							nValid++
						}
					default:
						times = append(times, l.MS)
					}
					if asJSON {
						if err := enc.Encode(l); err != nil {
							return err
						}
					} else {
						outs = append(outs, l)
					}
				}
				if bar != nil {
					bar.step()
				}
			}
			if bar != nil {
				bar.done()
			}
			if !asJSON {
				printMRZReads(cli, outs)
				slices.Sort(times)
				med := math.NaN()
				if len(times) > 0 {
					med = times[len(times)/2]
				}
				fmt.Fprintf(cli.Stdout, "\n%d input(s): %d MRZ found, %d valid, %d without MRZ, %d unreadable; median %.1f ms each\n",
					nIn, nFound, nValid, nIn-nFound-nErr, nErr, med)
			}
			if nValid != nIn {
				return exitStatus(1)
			}
			return nil
		},
	})
}

// readOneMRZ reads one path: a capture folder, an image or a PDF.
func readOneMRZ(ctx context.Context, r *ocr.Reader, path string) []mrzReadLine {
	t0 := time.Now()
	var res []*ocr.Result
	var err error
	if st, serr := os.Stat(path); serr == nil && st.IsDir() {
		var c *devices.Capture
		if c, err = devices.Load(path); err == nil {
			var one *ocr.Result
			if one, err = r.ReadCapture(ctx, c); err == nil {
				res = []*ocr.Result{one}
			}
		}
	} else {
		res, err = r.ReadFile(ctx, path)
	}
	if err != nil {
		return []mrzReadLine{{File: path, Error: err.Error(), Lines: []string{}}}
	}
	ms := float64(time.Since(t0).Microseconds()) / 1000 / float64(max(1, len(res)))
	out := make([]mrzReadLine, 0, len(res))
	for _, x := range res {
		l := mrzReadLine{File: path, Page: x.Page, Found: x.Found, Reason: x.Reason, Lines: x.Lines, Valid: x.Valid,
			Format: x.Format.String(), MS: math.Round(ms*10) / 10, Light: x.Light, Side: x.Side}
		if l.Lines == nil {
			l.Lines = []string{}
		}
		if !x.Found {
			l.Format = ""
		}
		if x.Found {
			l.Read = x.Read
			l.MinConfidence, l.MeanConfidence = round3(x.MinConfidence), round3(x.MeanConfidence)
			q := x.Quad
			for i := range q {
				q[i].X, q[i].Y = math.Round(q[i].X*10)/10, math.Round(q[i].Y*10)/10
			}
			l.Quad, l.Angle = &q, x.Angle+0 // +0: no "-0"
			if l.Angle == 0 {
				l.Angle = 0
			}
		}
		out = append(out, l)
	}
	return out
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func printMRZReads(cli *cliEnv, outs []mrzReadLine) {
	for _, l := range outs {
		name := l.File
		if l.Page > 0 {
			name = fmt.Sprintf("%s page %d", l.File, l.Page)
		}
		switch {
		case l.Error != "":
			fmt.Fprintf(cli.Stdout, "%s: error: %s\n", name, l.Error)
		case !l.Found:
			fmt.Fprintf(cli.Stdout, "%s: %s (%.0f ms)\n", name, l.Reason, l.MS)
		default:
			status := "valid"
			if !l.Valid {
				status = "INVALID"
			}
			where := ""
			if l.Light != "" {
				where = fmt.Sprintf(", %s %s", l.Side, l.Light)
			}
			fmt.Fprintf(cli.Stdout, "%s: %s %s, min confidence %.2f, angle %g%s (%.0f ms)\n", name, l.Format, status, l.MinConfidence, l.Angle, where, l.MS)
			for _, line := range l.Lines {
				fmt.Fprintf(cli.Stdout, "  %s\n", line)
			}
			if !slices.Equal(l.Read, l.Lines) {
				fmt.Fprintf(cli.Stdout, "  (read before repair: %s)\n", strings.Join(l.Read, " / "))
			}
		}
	}
}
