// Package testregistry runs a real OCI distribution registry
// (github.com/distribution/distribution/v3, in-memory storage) on loopback
// for tests, benchmarks and weir-devbroker: the same server `registry:3`
// images run.
package testregistry

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // the storage driver
	"github.com/sirupsen/logrus"
)

// Server is a running registry. Host is its "127.0.0.1:port".
type Server struct {
	Host     string
	srv      *http.Server
	ln       net.Listener
	mu       sync.Mutex
	down     bool // everything answers 503
	blobs    bool // blob reads answer 503: tags resolve, content does not come
	failPuts int  // the next failPuts blob upload PUTs answer 503
	failed   int  // blob upload PUTs answered 503 so far
	// manifests counts manifest requests, answered or not: a tag watcher
	// resolving its tag makes one per check.
	manifests atomic.Int64
}

var quiet sync.Once

// Start runs a registry until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// New runs a registry on a free loopback port until Close.
func New() (*Server, error) { return Listen("127.0.0.1:0") }

// Listen runs a registry on addr until Close.
func Listen(addr string) (*Server, error) {
	quiet.Do(func() { logrus.SetOutput(io.Discard) })
	config := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory":    configuration.Parameters{},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		},
	}
	config.Log.AccessLog.Disabled = true
	app := handlers.NewApp(context.Background(), config)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Host: ln.Addr().String(), ln: ln}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			s.manifests.Add(1)
		}
		s.mu.Lock()
		down := s.down || s.blobs && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/")
		if !down && s.failPuts > 0 && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			s.failPuts--
			s.failed++
			down = true
		}
		s.mu.Unlock()
		if down {
			http.Error(w, "registry down for the test", http.StatusServiceUnavailable)
			return
		}
		app.ServeHTTP(w, r)
	})}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// SetDown makes the registry answer 503 to everything (true) or serve
// again (false), keeping its content: an outage as clients see it.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// SetBlobsDown makes blob reads fail while manifests still resolve: the
// registry dying between a tag's resolution and the fetch of its content.
func (s *Server) SetBlobsDown(down bool) {
	s.mu.Lock()
	s.blobs = down
	s.mu.Unlock()
}

// FailUploads makes the next n blob uploads' final PUTs answer 503, as a
// registry failing for a moment does: a client that retries succeeds.
func (s *Server) FailUploads(n int) {
	s.mu.Lock()
	s.failPuts = n
	s.mu.Unlock()
}

// FailedUploads is how many uploads FailUploads has failed so far.
func (s *Server) FailedUploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// ManifestRequests is how many manifest requests the registry has had. A
// test that asserts nothing happens while a tag watcher runs waits until
// this grew by a few, so the watcher has looked, however slow the machine.
func (s *Server) ManifestRequests() int64 { return s.manifests.Load() }

// Close stops the registry.
func (s *Server) Close() { _ = s.srv.Close() }
