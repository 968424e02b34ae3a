package host

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
	"golang.org/x/net/netutil"
)

// AdminServer is a running admin API: its own listener, not Benthos's
// HTTP server (Benthos's public API lets a plugin neither add routes to
// that server nor reach it), with timeouts, a connection cap and body
// limits (AdminConfig).
type AdminServer struct {
	srv       *http.Server
	ln        net.Listener
	scheme    string
	tokenFile string // written by StartAdmin; "" when the token was given
	token     string
}

// StartAdmin listens on cfg.Address and serves the admin API. Without a
// Token it generates one (256 random bits) and writes it to cfg.TokenFile
// (default AdminTokenFile), where `weir transform` finds it. It returns
// nil, nil when the address is "off".
func StartAdmin(cfg AdminConfig, log *service.Logger) (*AdminServer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil || cfg.Address == "off" {
		return nil, err
	}
	tlsConf, err := adminTLS(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, err
	}
	a := &AdminServer{ln: ln, scheme: "http"}
	if err := a.provision(&cfg, log); err != nil {
		_ = ln.Close()
		a.removeTokenFile()
		return nil, err
	}
	served := netutil.LimitListener(ln, cfg.MaxConns)
	if tlsConf != nil {
		a.scheme, served = "https", tls.NewListener(served, tlsConf)
	}
	go func() { _ = a.srv.Serve(served) }()
	warnIfExposed(cfg, tlsConf != nil, log)
	return a, nil
}

// provision makes the token (unless given) and the server.
func (a *AdminServer) provision(cfg *AdminConfig, logger *service.Logger) error {
	if cfg.Token == "" {
		token, err := newToken()
		if err != nil {
			return err
		}
		path := cfg.TokenFile
		if path == "" {
			if path, err = AdminTokenFile(a.ln.Addr().String()); err != nil {
				return fmt.Errorf("admin token file: %w (set %s or %s)", err, EnvAdminTokenFile, EnvAdminToken)
			}
		}
		if err := writeTokenFile(path, token); err != nil {
			return err
		}
		cfg.Token, a.token, a.tokenFile = token, token, path
	}
	h, err := NewAdminHandler(*cfg, logger)
	if err != nil {
		return err
	}
	a.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          log.New(debugWriter{logger}, "weir: admin API: ", 0),
	}
	return nil
}

// adminTLS loads the server's certificate and, if configured, the CAs
// whose client certificates are credentials. Without client CAs no
// certificate is asked for; with them one is verified if given, and a
// client without one authenticates with the token.
func adminTLS(cfg AdminConfig) (*tls.Config, error) {
	if cfg.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", EnvAdminTLSCert, EnvAdminTLSKey, err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.TLSClientCA == "" {
		return conf, nil
	}
	pem, err := os.ReadFile(cfg.TLSClientCA)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvAdminTLSClientCA, err)
	}
	conf.ClientCAs = x509.NewCertPool()
	if !conf.ClientCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s=%s: no PEM certificate in it", EnvAdminTLSClientCA, cfg.TLSClientCA)
	}
	conf.ClientAuth = tls.VerifyClientCertIfGiven
	return conf, nil
}

// warnIfExposed warns when the API listens beyond loopback in clear: the
// token crosses the network readable.
func warnIfExposed(cfg AdminConfig, withTLS bool, log *service.Logger) {
	host, _, _ := net.SplitHostPort(cfg.Address)
	if ip := net.ParseIP(host); withTLS || host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return
	}
	log.Warnf("weir: admin API on %s without TLS: its bearer token crosses the network in clear; set %s and %s", cfg.Address, EnvAdminTLSCert, EnvAdminTLSKey)
}

// Addr is the address the API listens on.
func (a *AdminServer) Addr() string { return a.ln.Addr().String() }

// URL is the API's base URL.
func (a *AdminServer) URL() string { return a.scheme + "://" + a.Addr() }

// TokenFile is where the generated token was written; "" if it was given.
func (a *AdminServer) TokenFile() string { return a.tokenFile }

// Close stops the API at once and removes the token file it wrote.
func (a *AdminServer) Close() error {
	err := a.srv.Close()
	a.removeTokenFile()
	return err
}

// removeTokenFile removes the token file if it still holds this server's
// token (another weir on the same port may have replaced it since).
func (a *AdminServer) removeTokenFile() {
	if a.tokenFile == "" {
		return
	}
	if b, err := os.ReadFile(a.tokenFile); err == nil && strings.TrimSpace(string(b)) == a.token {
		_ = os.Remove(a.tokenFile)
	}
}

// startControlPlane opens the process's audit trail and starts the admin
// API, once, for the first slot that watches its module. An audit trail
// that cannot be written fails the processor (a version that can change
// must be audited); an admin API that cannot start is logged, and the
// pipeline runs without one.
func startControlPlane(log *service.Logger) error {
	if _, err := auditTrail(log); err != nil {
		return fmt.Errorf("weir: %w: a watched transform needs an audit trail (set %s to a file only this user may write, or - for stderr)", err, EnvAuditFile)
	}
	control.Do(func() {
		a, err := StartAdmin(AdminConfigFromEnv(), log)
		switch {
		case err != nil:
			log.Errorf("weir: admin API not started: %v", err)
		case a != nil && a.tokenFile != "":
			log.Infof("weir: admin API on %s/weir/transforms, token in %s; console at %s/weir/console/", a.URL(), a.tokenFile, a.URL())
		case a != nil:
			log.Infof("weir: admin API on %s/weir/transforms; console at %s/weir/console/", a.URL(), a.URL())
		}
	})
	return nil
}

// debugWriter sends the HTTP server's own messages (a failed TLS
// handshake, a connection closed on a timeout) to Benthos's debug log.
type debugWriter struct{ log *service.Logger }

func (d debugWriter) Write(p []byte) (int, error) {
	d.log.Debugf("%s", strings.TrimSpace(string(p)))
	return len(p), nil
}
