package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedPicturesAreWhatDrawDraws: the embedded pictures are the
// generator's output, unedited; after a change to the drawings, run
// go generate ./services/catalog/internal/pictures.
func TestCommittedPicturesAreWhatDrawDraws(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	drawn, err := filepath.Glob(filepath.Join(dir, "*.svg"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob("../svg/*.svg")
	if err != nil {
		t.Fatal(err)
	}
	if len(drawn) != len(products) || len(committed) != len(drawn) {
		t.Fatalf("%d pictures drawn, %d committed, want %d each", len(drawn), len(committed), len(products))
	}
	for _, path := range drawn {
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join("..", "svg", filepath.Base(path)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("svg/%s is not what draw draws (%v): run go generate ./services/catalog/internal/pictures", filepath.Base(path), err)
		}
	}
}
