package main

import (
	"context"
	"log/slog"

	"checkpost/server"
)

// newVerifier returns the verification pipeline that "checkpost serve"
// answers POST /api/v1/verifications with. Until the engine's pipeline
// (engine.Request, engine.Report) is wired here, it returns nil and the
// endpoint answers 503 "verification pipeline not loaded".
var newVerifier = func(ctx context.Context, log *slog.Logger) (server.Verifier, error) {
	return nil, nil
}
