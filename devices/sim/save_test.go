package sim

import (
	"bytes"
	"testing"

	"checkpost/devices"
)

// TestSavedCaptureReadsBack: a rendered 300-ppi capture (several deflate
// blocks per light, real scan statistics) comes back pixel for pixel
// from the files Save writes.
func TestSavedCaptureReadsBack(t *testing.T) {
	c, err := simulator(t).Render(Spec{Seed: 11, PPI: 300})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := devices.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.White.Pix, c.White.Pix) || !bytes.Equal(got.IR.Pix, c.IR.Pix) || !bytes.Equal(got.UV.Pix, c.UV.Pix) {
		t.Fatal("pixels changed between Save and Load")
	}
}
