// Package server is checkpost's HTTP face: the counter API, administration,
// the supervisors' review page, health and metrics. It wires the engine to
// the network and to the store; it holds no verification logic itself.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"checkpost/server/store"
	"checkpost/server/web"
)

// ReadyCheck reports whether one dependency of the server is ready to serve
// (the database, the OCR engine, ...). A nil error means ready.
type ReadyCheck func(ctx context.Context) error

// Config holds the settings of a Server.
type Config struct {
	// ShutdownTimeout bounds how long Run waits for requests in flight
	// after its context ends.
	ShutdownTimeout time.Duration
	// Vault holds the keys, verifications, evidence and the audit log;
	// without it the endpoints that need it answer 503.
	Vault *store.Vault
	// Verifier runs the verification pipeline; without it
	// POST /api/v1/verifications answers 503.
	Verifier Verifier
	// Limits bound request sizes and times (zero fields: DefaultLimits).
	Limits Limits
	// Keys says where the keyring lives, for rotation through the API.
	Keys KeySource
	// PurgeEvery is how often the retention job looks for expired
	// evidence (default one minute).
	PurgeEvery time.Duration
}

// Server serves checkpost's HTTP API.
type Server struct {
	cfg    Config
	db     *store.DB
	log    *slog.Logger
	router chi.Router

	mu    sync.Mutex
	ready map[string]ReadyCheck

	vault    *store.Vault
	verifier Verifier
	limits   Limits
	keys     KeySource
	metrics  *Metrics
	sm       serverMetrics
	jobs     *jobs
	ui       *web.UI
}

// New makes a server over an open database.
func New(cfg Config, db *store.DB, log *slog.Logger) *Server {
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, db: db, log: log, ready: map[string]ReadyCheck{},
		vault: cfg.Vault, verifier: cfg.Verifier, limits: cfg.Limits.withDefaults(), keys: cfg.Keys, metrics: NewMetrics()}
	s.sm = newServerMetrics(s.metrics)
	s.jobs = newJobs(s)
	s.ui = web.New(web.Config{DB: db, Vault: s.vault, Log: log})
	s.AddReadyCheck("database", db.Ready)
	if s.vault != nil {
		s.AddReadyCheck("keys", s.keysReady)
	}
	s.router = s.routes()
	return s
}

// AddReadyCheck makes /readyz depend on check, reported under name.
func (s *Server) AddReadyCheck(name string, check ReadyCheck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ready[name] = check
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.router }

// Router returns the root router, for other files of this package and for
// wiring extra routes in commands.
func (s *Server) Router() chi.Router { return s.router }

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(echoRequestID)
	r.Use(s.accessLog)
	r.Use(s.instrument)
	r.Use(s.recoverer)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusNotFound, "not found", fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusMethodNotAllowed, "method not allowed", fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
	})
	// Every route goes through s.handle, which takes its roles and limits
	// from the access table in access.go.
	s.handle(r, "GET", "/healthz", s.handleHealthz)
	s.handle(r, "GET", "/readyz", s.handleReadyz)
	s.handle(r, "GET", "/metrics", s.handleMetrics)
	s.handle(r, "GET", "/api/openapi.json", s.handleOpenAPI)
	s.handle(r, "GET", "/api/v1/whoami", s.handleWhoami)
	s.handle(r, "POST", "/api/v1/verifications", s.handleCreateVerification)
	s.handle(r, "GET", "/api/v1/verifications/{id}", s.handleGetVerification)
	s.handle(r, "GET", "/api/v1/verifications/{id}/evidence/{name}", s.handleGetEvidence)
	s.handle(r, "POST", "/api/v1/verifications/{id}/decision", s.handleDecision)
	s.handle(r, "GET", "/api/v1/movements", s.handleMovements)
	s.handle(r, "GET", "/api/v1/admin/keys", s.handleKeyStatus)
	s.handle(r, "POST", "/api/v1/admin/keys/rotate", s.handleKeyRotate)
	s.handle(r, "GET", "/api/v1/admin/audit", s.handleAuditList)
	s.handle(r, "GET", "/api/v1/admin/audit/verify", s.handleAuditVerify)
	for _, p := range s.ui.Routes() {
		s.handle(r, p.Method, p.Pattern, p.Handler)
	}
	return r
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	names := make([]string, 0, len(s.ready))
	for n := range s.ready {
		names = append(names, n)
	}
	checks := make([]ReadyCheck, len(names))
	sort.Strings(names)
	for i, n := range names {
		checks[i] = s.ready[n]
	}
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	status := http.StatusOK
	result := map[string]string{}
	for i, n := range names {
		if err := checks[i](ctx); err != nil {
			status = http.StatusServiceUnavailable
			result[n] = err.Error()
		} else {
			result[n] = "ready"
		}
	}
	writeJSON(w, status, map[string]any{"ready": status == http.StatusOK, "checks": result})
}

// Run serves on the listener until ctx ends, then stops accepting
// connections and waits (up to ShutdownTimeout) for requests in flight.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(s.ui.StopStreams)
	stopJobs := s.jobs.start(ctx)
	defer stopJobs()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing requests in flight", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
