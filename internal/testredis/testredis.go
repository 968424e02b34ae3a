// Package testredis runs a real redis-server (Debian package
// redis-server, installed by `make deps`) on a loopback port for tests and
// make targets, its append-only file in a temporary directory, killed
// when the test process ends.
package testredis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process. Addr is its "127.0.0.1:port", which
// stays the same across Stop and Start.
type Server struct {
	Addr string
	dir  string

	mu  sync.Mutex
	cmd *exec.Cmd // nil while stopped
}

// Start runs a server of the test's own until the test ends: for a test
// that stops it (an outage). Tests that only use one share Shared's.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

var shared struct {
	sync.Mutex
	s   *Server
	err error
}

// Shared is the test package's server, started on first use; the
// package's TestMain calls StopShared after the run.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.s == nil && shared.err == nil {
		shared.s, shared.err = New()
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.s
}

// StopShared kills the shared server, if one was started.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.s != nil {
		shared.s.Close()
		shared.s = nil
	}
}

// New starts a server on a free loopback port.
func New() (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "weir-redis-")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir}
	if err := s.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the (stopped) server again on its address and waits until
// it answers PING. Its data survives Stop: every write is in its
// append-only file before it is answered, as a durable Redis restarting
// after an outage.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
		"--dir", s.dir, "--protected-mode", "yes", "--loglevel", "warning")
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testredis: start redis-server (install the Debian package redis-server: make deps): %w", err)
	}
	s.cmd = cmd
	return s.waitReady(cmd)
}

func (s *Server) waitReady(cmd *exec.Cmd) error {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return nil
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	s.cmd = nil
	return fmt.Errorf("testredis: redis-server on %s did not answer PING in 30s", s.Addr)
}

// Stop kills the server (an outage); Start brings it back.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// Client is a new client of the server; the caller closes it.
func (s *Server) Client() *redis.Client { return redis.NewClient(&redis.Options{Addr: s.Addr}) }

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Calls is how many times the server ran each command since it started
// or ResetStats, from INFO commandstats: {"mget": 1, "get": 0, …}.
func (s *Server) Calls(ctx context.Context) (map[string]int64, error) {
	c := s.Client()
	defer c.Close()
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	calls := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, stats, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(stats, "calls=") {
			continue
		}
		n, _, _ := strings.Cut(strings.TrimPrefix(stats, "calls="), ",")
		calls[name], _ = strconv.ParseInt(n, 10, 64)
	}
	return calls, sc.Err()
}

// ResetStats zeroes the command counts (CONFIG RESETSTAT).
func (s *Server) ResetStats(ctx context.Context) error {
	c := s.Client()
	defer c.Close()
	return c.ConfigResetStat(ctx).Err()
}
