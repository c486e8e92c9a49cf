package ocrb

import (
	"context"
	"os"
	"testing"
	"time"
)

// smallConfig trains in a few seconds: enough to check that training
// learns and that the cache round-trips, not a model to read with.
var smallConfig = TrainConfig{Seed: 3, PerClass: 60, ValidationPerClass: 20, Epochs: 3}

func TestTrainSmallAndCache(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now()
	m, trained, err := LoadOrTrain(context.Background(), dir, smallConfig, nil)
	if err != nil || !trained {
		t.Fatalf("first start: trained %v, %v", trained, err)
	}
	t.Logf("small model (%d cells per class, %d epochs): trained in %v, validation accuracy %.3f", smallConfig.PerClass, smallConfig.Epochs, time.Since(t0).Round(time.Millisecond), m.Validation)
	// 37 classes: chance is 2.7%; a few epochs on 60 cells per class reach
	// far more.
	if m.Validation < 0.7 {
		t.Errorf("validation accuracy %.3f after training", m.Validation)
	}
	m2, trained, err := LoadOrTrain(context.Background(), dir, smallConfig, nil)
	if err != nil || trained {
		t.Fatalf("second start: trained %v, %v (want it from the cache)", trained, err)
	}
	if m2.Validation != m.Validation || m2.Config != m.Config {
		t.Errorf("cached model differs: %v %v", m2.Validation, m2.Config)
	}
	// A damaged cache file is replaced by training again.
	path, err := CachePath(dir, smallConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, trained, err := LoadOrTrain(context.Background(), dir, smallConfig, nil); err != nil || !trained {
		t.Errorf("damaged cache: trained %v, %v", trained, err)
	}
}

func TestTrainConfigLimits(t *testing.T) {
	for _, c := range []TrainConfig{{PerClass: 0, Epochs: 1}, {PerClass: 1, Epochs: 0}, {PerClass: maxPerClass + 1, Epochs: 1}, {PerClass: 1, Epochs: maxEpochs + 1}} {
		if _, err := Train(context.Background(), c, nil); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
}

func FuzzUnmarshalModel(f *testing.F) {
	m, err := Train(context.Background(), TrainConfig{Seed: 1, PerClass: 2, Epochs: 1}, nil)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := m.MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Model
		_ = m.UnmarshalBinary(data)
	})
}
