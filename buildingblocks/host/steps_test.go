package host

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestStepsGoOnFromTheStepThatFailed(t *testing.T) {
	var ran []string
	failMigrate := true
	start := steps(
		func(context.Context) error { ran = append(ran, "create"); return nil },
		func(context.Context) error {
			ran = append(ran, "migrate")
			if failMigrate {
				return errors.New("database down")
			}
			return nil
		},
		func(context.Context) error { ran = append(ran, "subscribe"); return nil },
	)
	ctx := context.Background()
	if err := start(ctx); err == nil {
		t.Fatal("start succeeded with a failing step")
	}
	failMigrate = false
	if err := start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := start(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []string{"create", "migrate", "migrate", "subscribe"}; !slices.Equal(ran, want) {
		t.Fatalf("ran %v, want %v", ran, want)
	}
}
