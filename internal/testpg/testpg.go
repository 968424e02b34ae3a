// Package testpg runs a real PostgreSQL cluster (Debian package
// postgresql-15, installed by `make deps`) for tests and make targets:
// initdb into a directory, the postmaster on a loopback port with its unix
// socket in that directory, wal_level=logical so logical replication (the
// postgres_cdc input) works, stopped with a fast shutdown at the end.
//
// Authentication: trust for the superuser postgres on loopback (tests need
// no secret), and a password (SCRAM) for User, for tests of credentials.
// Under uid 0 the cluster runs as the Debian postgres user, since the
// postmaster refuses to run as root.
package testpg

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// User and Password are the role that logs in with a password (SCRAM) on
// loopback; it may replicate. Every other role logs in by trust.
const (
	User     = "weir_cdc"
	Password = "weir-cdc-secret"
)

// Cluster is a postmaster process and its data directory. Port stays the
// same across Stop and Start.
type Cluster struct {
	Port int
	dir  string   // holds data/, the socket and postgres.log
	temp bool     // Close removes dir
	sets []string // extra server settings, name=value
	cred *syscall.Credential

	mu     sync.Mutex
	cmd    *exec.Cmd  // nil while stopped
	exited chan error // cmd's Wait, once it returns
}

// Start runs a cluster of the test's own until the test ends: for a test
// that stops it. Tests that only use one share Shared's.
// settings (name=value) override the server's, e.g. "wal_level=replica".
func Start(tb testing.TB, settings ...string) *Cluster {
	tb.Helper()
	c, err := New(settings...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

var shared struct {
	sync.Mutex
	c   *Cluster
	err error
}

// Shared is the test package's cluster, started on first use; the
// package's TestMain calls StopShared after the run (or uses Main).
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.c == nil && shared.err == nil {
		shared.c, shared.err = New()
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.c
}

// StopShared stops the shared cluster, if one was started, and removes it.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.c != nil {
		shared.c.Close()
		shared.c = nil
	}
}

// Main is a TestMain for a package whose only shared server is the
// cluster: func TestMain(m *testing.M) { testpg.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// New initialises a cluster in a new temporary directory and starts it on
// a free loopback port; Close removes the directory.
func New(settings ...string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "weir-pg-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err == nil {
		var c *Cluster
		if c, err = Open(dir, port, settings...); err == nil {
			c.temp = true
			return c, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

// Open starts the cluster in dir on port, initialising it first if dir
// has none (for make targets: the cluster under build/pg survives runs).
func Open(dir string, port int, settings ...string) (*Cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Port: port, dir: dir, sets: settings}
	if c.cred, err = runAs(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		if err := c.initdb(); err != nil {
			return nil, err
		}
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	return c, c.createUser()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// DSN is the superuser's URL of database db (trust: no password).
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// PasswordDSN is User's URL of database db, with Password in it.
func (c *Cluster) PasswordDSN(db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", User, Password, c.Port, db)
}

// Dir is the directory holding the cluster's data and log.
func (c *Cluster) Dir() string { return c.dir }

// Start starts the (stopped) postmaster and waits until it accepts
// connections. Data survives Stop.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return nil
	}
	log, err := os.OpenFile(filepath.Join(c.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	args := []string{"-D", filepath.Join(c.dir, "data"), "-p", strconv.Itoa(c.Port), "-k", c.dir, "-c", "listen_addresses=127.0.0.1"}
	for _, s := range c.sets {
		args = append(args, "-c", s)
	}
	cmd := c.command("postgres", args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testpg: start postgres (install the Debian package postgresql-15: make deps): %w", err)
	}
	c.cmd = cmd
	return c.waitReady()
}

func (c *Cluster) waitReady() error {
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		select {
		case err := <-exited:
			c.cmd = nil
			return fmt.Errorf("testpg: postgres exited (%v): see %s", err, filepath.Join(c.dir, "postgres.log"))
		case <-time.After(50 * time.Millisecond):
		}
		if c.ping() == nil {
			c.exited = exited
			return nil
		}
	}
	_ = c.cmd.Process.Kill()
	<-exited
	c.cmd = nil
	return fmt.Errorf("testpg: postgres on port %d did not accept connections in 60s: see %s", c.Port, filepath.Join(c.dir, "postgres.log"))
}

func (c *Cluster) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// Stop shuts the postmaster down (fast: open sessions are ended) and
// waits for it; Start brings it back.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(60 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	c.cmd = nil
}

// Close stops the cluster and, for one New made, removes its directory.
func (c *Cluster) Close() {
	c.Stop()
	if c.temp {
		os.RemoveAll(c.dir)
	}
}

// Exec runs statements in database db as the superuser.
func (c *Cluster) Exec(ctx context.Context, db string, sql ...string) error {
	conn, err := pgx.Connect(ctx, c.DSN(db))
	if err != nil {
		return fmt.Errorf("testpg: connect to %s: %w", db, err)
	}
	defer conn.Close(ctx)
	for _, q := range sql {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("testpg: %s: %w", q, err)
		}
	}
	return nil
}

var dbSeq struct {
	sync.Mutex
	n int
}

// CreateDB makes a new, empty database for the test (dropped when it
// ends) and returns its name: tests sharing a cluster do not see each
// other's tables, publications or slots' changes.
func (c *Cluster) CreateDB(tb testing.TB) string {
	tb.Helper()
	dbSeq.Lock()
	dbSeq.n++
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.n)
	dbSeq.Unlock()
	ctx := context.Background()
	if err := c.Exec(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.dropDB(name) })
	return name
}

// dropDB drops db and the replication slots in it (a slot pins its
// database).
func (c *Cluster) dropDB(db string) {
	ctx := context.Background()
	_ = c.Exec(ctx, "postgres",
		"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '"+db+"' AND active_pid IS NOT NULL",
		"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '"+db+"'",
		"DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
}

// createUser makes User (idempotent: Open reuses clusters).
func (c *Cluster) createUser() error {
	return c.Exec(context.Background(), "postgres", `DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '`+User+`') THEN
		CREATE ROLE `+User+` LOGIN REPLICATION SUPERUSER PASSWORD '`+Password+`';
	END IF; END $$`)
}
