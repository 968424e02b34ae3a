package host

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Environment variables that configure the admin API and the audit trail
// (docs/registry.md, "Admin API: authentication, audit trail, limits").
const (
	EnvAdminAddress     = "WEIR_ADMIN_ADDRESS"       // listen address; default DefaultAdminAddress, "off" to disable
	EnvAdminToken       = "WEIR_ADMIN_TOKEN"         // the bearer token; default: generated at start
	EnvAdminTokenFile   = "WEIR_ADMIN_TOKEN_FILE"    // where a generated token is written; default AdminTokenFile(address)
	EnvAdminHosts       = "WEIR_ADMIN_HOSTS"         // extra host names a request may name in Host, comma-separated
	EnvAdminTLSCert     = "WEIR_ADMIN_TLS_CERT"      // serve HTTPS with this certificate (PEM)…
	EnvAdminTLSKey      = "WEIR_ADMIN_TLS_KEY"       // …and key (PEM)
	EnvAdminTLSClientCA = "WEIR_ADMIN_TLS_CLIENT_CA" // accept client certificates issued by these CAs (PEM) as credentials
	EnvAuditFile        = "WEIR_AUDIT_FILE"          // the audit trail; default AuditFile(), "-" for stderr

	DefaultAdminAddress = "127.0.0.1:4196"
)

// AdminConfig configures the admin API. The zero value of every field
// means its default; AdminConfigFromEnv fills it from the environment.
type AdminConfig struct {
	// Address to listen on. Default DefaultAdminAddress; "off": no API.
	Address string
	// Token is the bearer token a change needs. Default "": one is
	// generated at start and written to TokenFile.
	Token string
	// TokenFile receives a generated token, mode 0600, in a directory only
	// this user may write. Default AdminTokenFile(Address).
	TokenFile string
	// Hosts are host names, beyond loopback names and IP addresses, that a
	// request's Host header may name (a DNS-rebinding guard). Default none.
	Hosts []string
	// TLSCert and TLSKey (PEM files), both or neither: serve HTTPS.
	TLSCert, TLSKey string
	// TLSClientCA (PEM file, needs TLSCert): a client certificate it
	// issued is a credential; its subject is the actor. Default "": none.
	TLSClientCA string
	// AuditFile is the audit trail (one JSON line per event), "-" for
	// stderr. Default AuditFile().
	AuditFile string

	// ReadHeaderTimeout bounds reading a request's headers (and the TLS
	// handshake). Default 5s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request. Default 10s.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from its headers to the end of its
	// response, the change included: a pin may fetch, compile and warm a
	// version. Default 2m.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection idle this long. Default 30s.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps a request's headers. Default 16 KiB.
	MaxHeaderBytes int
	// MaxConns caps the connections served at once; more wait in the
	// kernel's accept queue. Default 32.
	MaxConns int
	// MaxBodyBytes caps a request body. Default 4 KiB.
	MaxBodyBytes int64
}

// AdminConfigFromEnv reads the admin API's configuration from the
// environment (the Env* constants).
func AdminConfigFromEnv() AdminConfig {
	c := AdminConfig{
		Address:     os.Getenv(EnvAdminAddress),
		Token:       os.Getenv(EnvAdminToken),
		TokenFile:   os.Getenv(EnvAdminTokenFile),
		TLSCert:     os.Getenv(EnvAdminTLSCert),
		TLSKey:      os.Getenv(EnvAdminTLSKey),
		TLSClientCA: os.Getenv(EnvAdminTLSClientCA),
		AuditFile:   os.Getenv(EnvAuditFile),
	}
	for _, h := range strings.Split(os.Getenv(EnvAdminHosts), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.Hosts = append(c.Hosts, h)
		}
	}
	return c
}

// withDefaults fills the fields left zero and checks the rest, naming
// the variable to fix.
func (c AdminConfig) withDefaults() (AdminConfig, error) {
	if c.Address == "" {
		c.Address = DefaultAdminAddress
	}
	if c.Address != "off" {
		if _, _, err := net.SplitHostPort(c.Address); err != nil {
			return c, fmt.Errorf("%s=%q: %v (want host:port)", EnvAdminAddress, c.Address, err)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, fmt.Errorf("%s and %s go together: set both or neither", EnvAdminTLSCert, EnvAdminTLSKey)
	}
	if c.TLSClientCA != "" && c.TLSCert == "" {
		return c, fmt.Errorf("%s needs %s and %s: client certificates need TLS", EnvAdminTLSClientCA, EnvAdminTLSCert, EnvAdminTLSKey)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadHeaderTimeout, 5*time.Second)
	def(&c.ReadTimeout, 10*time.Second)
	def(&c.WriteTimeout, 2*time.Minute)
	def(&c.IdleTimeout, 30*time.Second)
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 16 << 10
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 32
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 4 << 10
	}
	return c, nil
}

// stateDir is where weir keeps per-user state that outlives a process:
// $XDG_STATE_HOME/weir, else ~/.local/state/weir.
func stateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "weir"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no state directory (%v): set XDG_STATE_HOME", err)
	}
	return filepath.Join(home, ".local", "state", "weir"), nil
}

// runtimeDir is where weir keeps what lives only as long as the user's
// session: $XDG_RUNTIME_DIR/weir, else the state directory.
func runtimeDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "weir"), nil
	}
	return stateDir()
}

// AdminTokenFile is where a weir whose admin API listens on address
// writes its generated token, and where the CLI looks for it:
// admin-token-<port> in $XDG_RUNTIME_DIR/weir, else in the state directory
// ($XDG_STATE_HOME/weir, ~/.local/state/weir). $WEIR_ADMIN_TOKEN_FILE
// overrides it.
func AdminTokenFile(address string) (string, error) {
	if f := os.Getenv(EnvAdminTokenFile); f != "" {
		return f, nil
	}
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		return "", fmt.Errorf("admin address %q: %v", address, err)
	}
	dir, err := runtimeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "admin-token-"+port), nil
}

// AuditFile is the default audit trail: audit.log in the state directory
// ($XDG_STATE_HOME/weir, ~/.local/state/weir). $WEIR_AUDIT_FILE overrides it.
func AuditFile() (string, error) {
	if f := os.Getenv(EnvAuditFile); f != "" {
		return f, nil
	}
	dir, err := stateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "audit.log"), nil
}
