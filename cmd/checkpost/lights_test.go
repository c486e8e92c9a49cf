package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"strings"
	"testing"

	"checkpost/devices"
	"checkpost/server"
)

func pngOf(t *testing.T, im image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := devices.EncodePNG(&b, im, 300); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The IR image the MRZ is read from early is the capture's own, and what
// cannot be decoded is said by both.
func TestLightsDecoderGivesTheCapturesIRImage(t *testing.T) {
	white := image.NewRGBA(image.Rect(0, 0, 40, 30))
	ir := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range ir.Pix {
		ir.Pix[i] = uint8(i)
	}
	white.Set(3, 4, color.RGBA{200, 10, 10, 255})
	sub := &server.Submission{Counter: "c1", Images: []server.SubmittedImage{
		{Light: "white", Format: "png", Data: pngOf(t, white)},
		{Light: "ir", Format: "png", Data: pngOf(t, ir)},
		{Light: "uv", Format: "png", Data: pngOf(t, white)},
	}}
	req, err := requestOf(sub)
	if err != nil {
		t.Fatal(err)
	}
	if req.EarlyIR == nil || req.Decode == nil {
		t.Fatal("images without an early IR image or a decoder")
	}
	early, err := req.EarlyIR(context.Background())
	if err != nil || early == nil {
		t.Fatalf("early IR: %v, %v", early, err)
	}
	c, err := req.Decode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.IR != early {
		t.Error("the early IR image is not the capture's")
	}
	if !bytes.Equal(c.IR.Pix, ir.Pix) || c.White.RGBAAt(3, 4) != white.RGBAAt(3, 4) || c.UV == nil || c.PPI < 299 || c.PPI > 301 {
		t.Errorf("capture decoded wrong: PPI %g", c.PPI)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}

	// No IR image: nothing early, the capture as usual.
	req, _ = requestOf(&server.Submission{Images: sub.Images[:1]})
	if early, err := req.EarlyIR(context.Background()); early != nil || err != nil {
		t.Errorf("without IR: %v, %v", early, err)
	}
	if c, err := req.Decode(context.Background()); err != nil || c.White == nil || c.IR != nil {
		t.Errorf("white only: %v", err)
	}

	// An IR image that does not decode.
	bad := append([]server.SubmittedImage(nil), sub.Images...)
	bad[1] = server.SubmittedImage{Light: "ir", Format: "png", Data: []byte("\x89PNG\r\n\x1a\n broken")}
	req, _ = requestOf(&server.Submission{Images: bad})
	if _, err := req.EarlyIR(context.Background()); err == nil || !strings.Contains(err.Error(), "image ir") {
		t.Errorf("broken IR early: %v", err)
	}
	if _, err := req.Decode(context.Background()); err == nil || !strings.Contains(err.Error(), "image ir") {
		t.Errorf("broken IR capture: %v", err)
	}

	// A PDF has no early IR image.
	req, _ = requestOf(&server.Submission{PDF: []byte("%PDF-1.4")})
	if req.EarlyIR != nil || req.Decode == nil {
		t.Error("a PDF gives an early IR image")
	}
}
