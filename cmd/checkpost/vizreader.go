package main

import (
	"context"

	"checkpost/engine/pipeline"
	"checkpost/mrz/ocr/viz"
)

// newVIZ returns the printed-field reader of the pipeline (Tesseract, one
// engine per core), its engines loaded, and its close function. Without Tesseract's English
// data the reader is left out, and viz.mrz.consistency reports
// NOT_PERFORMED, as before there was one.
func newVIZ() (pipeline.VIZ, func(), error) {
	r := viz.New(viz.Options{})
	if err := r.Available(); err != nil {
		r.Close()
		return pipeline.VIZ{}, func() {}, err
	}
	if err := r.Warm(context.Background()); err != nil {
		r.Close()
		return pipeline.VIZ{}, func() {}, err
	}
	return pipeline.VIZ{Reader: r}, func() { r.Close() }, nil
}
