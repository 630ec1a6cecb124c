package bench

import (
	"io"
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// quiet is the logger of the pipelines' parts: warnings only, nowhere
// unless TEST_LOG is set.
var quiet = slog.New(slog.NewTextHandler(testkit.ShowLogsIfAsked(io.Discard), &slog.HandlerOptions{Level: slog.LevelWarn}))
