package main

import (
	"image"
	"testing"
)

// TestFingerCrop: --crop's forms are read, bad ones refused with the
// reason; a centre crop keeps the image's middle, and a crop larger than
// the image keeps its extent.
func TestFingerCrop(t *testing.T) {
	for _, bad := range []string{"220", "220x", "x260", "220x260@edge", "10x10", "220x260x3", "0220x260"} {
		if _, err := parseFingerCrop(bad); err == nil {
			t.Errorf("--crop %q accepted", bad)
		}
	}
	if c, err := parseFingerCrop(""); err != nil || c != nil {
		t.Errorf("no crop: %v %v", c, err)
	}
	c, err := parseFingerCrop("200x100@minutiae")
	if err != nil || c.w != 200 || c.h != 100 || !c.atMinutiae {
		t.Fatalf("200x100@minutiae: %+v %v", c, err)
	}
	img := image.NewGray(image.Rect(0, 0, 300, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 300; x++ {
			img.Pix[y*img.Stride+x] = uint8((x + y) % 251)
		}
	}
	c, _ = parseFingerCrop("100x80")
	out := c.apply(img)
	if out.Bounds().Dx() != 100 || out.Bounds().Dy() != 80 {
		t.Fatalf("crop %v", out.Bounds())
	}
	// The middle: (100, 160) of the image is the crop's top-left.
	if got, want := out.Pix[0], img.Pix[160*img.Stride+100]; got != want {
		t.Errorf("top-left %d, want the image's (100,160) %d", got, want)
	}
	// Shifted 3 right and 2 up: the top-left is the image's (103, 158).
	if err := parseCropShift(c, "3,-2"); err != nil {
		t.Fatal(err)
	}
	if out := c.apply(img); out.Pix[0] != img.Pix[158*img.Stride+103] {
		t.Errorf("shifted top-left %d, want the image's (103,158) %d", out.Pix[0], img.Pix[158*img.Stride+103])
	}
	for _, bad := range []string{"3", "3,", "3,-2,1", "51,0", "+3,2", " 3,2"} {
		if err := parseCropShift(c, bad); err == nil {
			t.Errorf("--crop-shift %q accepted", bad)
		}
	}
	if err := parseCropShift(nil, "1,1"); err == nil {
		t.Error("--crop-shift without --crop accepted")
	}
	c, _ = parseFingerCrop("500x80")
	if out := c.apply(img); out.Bounds().Dx() != 300 || out.Bounds().Dy() != 80 {
		t.Errorf("crop wider than the image: %v", out.Bounds())
	}
}
