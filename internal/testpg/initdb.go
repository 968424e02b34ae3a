package testpg

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverConf is appended to postgresql.conf: logical replication on, and
// durability off (a test cluster is thrown away; fsync costs seconds on a
// busy disk).
const serverConf = `
wal_level = logical
max_replication_slots = 64
max_wal_senders = 64
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
wal_sender_timeout = 60s
log_min_messages = warning
`

// hbaConf replaces pg_hba.conf: User by password (first match wins),
// everyone else by trust, on the socket and loopback only.
const hbaConf = `local all all trust
local replication all trust
host all ` + User + ` 127.0.0.1/32 scram-sha-256
host replication ` + User + ` 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
`

// initdb creates the data directory under c.dir, owned by the user the
// postmaster runs as.
func (c *Cluster) initdb() error {
	data := filepath.Join(c.dir, "data")
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	if err := c.chown(c.dir); err != nil {
		return err
	}
	cmd := c.command("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testpg: initdb %s (install the Debian package postgresql-15: make deps): %w\n%s", data, err, out)
	}
	if err := appendFile(filepath.Join(data, "postgresql.conf"), serverConf); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hbaConf), 0o600)
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// command is one of PostgreSQL's programs, run as the cluster's user.
func (c *Cluster) command(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary(prog), args...)
	cmd.SysProcAttr = dieWithParent()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = c.cred
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	return cmd
}

// binDirs are where Debian puts PostgreSQL's programs (not all on PATH).
var binDirs = []string{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}

func binary(prog string) string {
	for _, d := range binDirs {
		if p := filepath.Join(d, prog); isExecutable(p) {
			return p
		}
	}
	return prog // from PATH
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

// runAs is the credential the cluster's programs run with: none (the
// caller's own) unless the caller is root, whom the postmaster refuses;
// then the Debian package's postgres user.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("testpg: running as root, and the postmaster refuses root: no postgres user to run it as (install the Debian package postgresql-15: make deps): %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (c *Cluster) chown(dir string) error {
	if c.cred == nil {
		return nil
	}
	return os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid))
}
