package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/host"
)

// Environment variables of the CLI's side of the admin API: the CA that
// issued the API's certificate, and a client certificate to present.
const (
	envAdminCACert     = "WEIR_ADMIN_CACERT"
	envAdminClientCert = "WEIR_ADMIN_CLIENT_CERT"
	envAdminClientKey  = "WEIR_ADMIN_CLIENT_KEY"
)

// adminFlags say how to reach a running weir's admin API and prove who
// is asking. Without --token the CLI reads the token file the running
// weir wrote (host.AdminTokenFile), as Docker's and Jupyter's clients do.
func adminFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "admin", EnvVars: []string{host.EnvAdminAddress}, Value: host.DefaultAdminAddress, Usage: "address (or https:// URL) of the running weir's admin API"},
		&cli.StringFlag{Name: "token", EnvVars: []string{host.EnvAdminToken}, Usage: "admin API bearer token (default: read from the token file)"},
		&cli.StringFlag{Name: "token-file", EnvVars: []string{host.EnvAdminTokenFile}, Usage: "the token file weir wrote (default: admin-token-PORT in $XDG_RUNTIME_DIR/weir, else ~/.local/state/weir)"},
		&cli.StringFlag{Name: "cacert", EnvVars: []string{envAdminCACert}, Usage: "CA certificate (PEM) of an HTTPS admin API"},
		&cli.StringFlag{Name: "cert", EnvVars: []string{envAdminClientCert}, Usage: "client certificate (PEM) to authenticate with"},
		&cli.StringFlag{Name: "key", EnvVars: []string{envAdminClientKey}, Usage: "the client certificate's key (PEM)"},
	}
}

func adminCommands() []*cli.Command {
	return []*cli.Command{
		{Name: "status", Usage: "Show a running weir's transforms: versions, digests, state, swap history, last failure", ArgsUsage: "[NAME]",
			Flags: append(append(adminFlags(), &cli.BoolFlag{Name: "json", Usage: "print as JSON"}), watchFlags()...), Action: statusAction},
		{Name: "rollback", Usage: "Go back to the previous version (the current one is not swapped to again)", ArgsUsage: "NAME", Flags: adminFlags(), Action: changeAction("rollback")},
		{Name: "pin", Usage: "Hold a transform at its current version, or at --id DIGEST, until unpin", ArgsUsage: "NAME", Flags: append(adminFlags(),
			&cli.StringFlag{Name: "id", Usage: "artifact digest to pin (default: the serving one)"}), Action: changeAction("pin")},
		{Name: "unpin", Usage: "Follow the transform's tag again", ArgsUsage: "NAME", Flags: adminFlags(), Action: changeAction("unpin")},
		auditCommand(),
	}
}

// adminClient is how the CLI talks to one admin API.
type adminClient struct {
	base      string // scheme://host:port
	token     string
	tokenFile string // where the token came from, for the hint on a 401
	tokenErr  error  // why the token file could not be used
	http      *http.Client
}

func newAdminClient(c *cli.Context) (*adminClient, error) {
	addr := c.String("admin")
	a := &adminClient{base: "http://" + addr, token: c.String("token"), http: &http.Client{Timeout: 2 * time.Minute}}
	if rest, ok := strings.CutPrefix(addr, "https://"); ok {
		a.base, addr = "https://"+rest, rest
	} else if rest, ok := strings.CutPrefix(addr, "http://"); ok {
		a.base, addr = "http://"+rest, rest
	} else if c.String("cacert") != "" || c.String("cert") != "" {
		a.base = "https://" + addr
	}
	if strings.HasPrefix(a.base, "https://") {
		conf, err := clientTLS(c)
		if err != nil {
			return nil, err
		}
		a.http.Transport = &http.Transport{TLSClientConfig: conf}
	}
	if a.token == "" && c.String("cert") == "" {
		a.readToken(c.String("token-file"), addr)
	}
	return a, nil
}

// readToken takes the token from the file the running weir wrote, if it
// is there: without one, reads still work on loopback.
func (a *adminClient) readToken(path, addr string) {
	if path == "" {
		var err error
		if path, err = host.AdminTokenFile(addr); err != nil {
			return
		}
	}
	a.tokenFile = path
	if _, err := os.Stat(path); err != nil {
		return
	}
	a.token, a.tokenErr = host.ReadAdminToken(path)
}

func clientTLS(c *cli.Context) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if f := c.String("cacert"); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate in it", f)
		}
	}
	if c.String("cert") != "" {
		pair, err := tls.LoadX509KeyPair(c.String("cert"), c.String("key"))
		if err != nil {
			return nil, fmt.Errorf("--cert/--key: %w", err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	return conf, nil
}

// call sends a request (a change's JSON body if body is not nil) and
// returns the answer's body, or an error saying what to check.
func (a *adminClient) call(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API: %w (is weir running, with %s=%s?)", err, host.EnvAdminAddress, strings.TrimPrefix(strings.TrimPrefix(a.base, "http://"), "https://"))
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(out, &e)
		return nil, fmt.Errorf("%s %s: %s: %s%s", method, path, resp.Status, e.Error, a.hint(resp.StatusCode))
	}
	return out, nil
}

// hint says where the credential came from when it was not enough.
func (a *adminClient) hint(code int) string {
	switch {
	case code != http.StatusUnauthorized:
		return ""
	case a.tokenErr != nil:
		return " (" + a.tokenErr.Error() + ")"
	case a.token != "" && a.tokenFile == "":
		return " (the token given with --token or $" + host.EnvAdminToken + ")"
	case a.token != "":
		return " (the token read from " + a.tokenFile + ": is it this weir's? a restarted weir writes a new one)"
	case a.tokenFile != "":
		return " (no token: none in " + a.tokenFile + "; weir writes it there when it starts, as its own user; or pass --token)"
	}
	return ""
}

func statusAction(c *cli.Context) error {
	api, err := newAdminClient(c)
	if err != nil {
		return cli.Exit(err, 1)
	}
	if c.Bool("watch") {
		return watchStatus(c, api)
	}
	if err := showStatus(c.Context, c, api, c.App.Writer); err != nil {
		return cli.Exit(err, 1)
	}
	return nil
}

// showStatus fetches the running weir's transforms (the one named, if
// given) and prints them to w, as text or JSON.
func showStatus(ctx context.Context, c *cli.Context, api *adminClient, w io.Writer) error {
	body, err := api.call(ctx, "GET", "/weir/transforms", nil)
	if err != nil {
		return err
	}
	var all []host.Status
	if err := json.Unmarshal(body, &all); err != nil {
		return err
	}
	if name := c.Args().First(); name != "" {
		var one []host.Status
		for _, s := range all {
			if s.Name == name {
				one = append(one, s)
			}
		}
		if len(one) == 0 {
			return fmt.Errorf("no transform named %q", name)
		}
		all = one
	}
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	for _, s := range all {
		printStatus(w, s)
	}
	return nil
}

func printStatus(w io.Writer, s host.Status) {
	state := "following " + s.Source
	switch {
	case s.Pinned:
		state = "pinned"
	case !s.Watching:
		state = "not watching"
	}
	var text bytes.Buffer // made printable before it reaches a terminal
	tw := tabwriter.NewWriter(&text, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s (%s)\n", s.Name, s.Serving.Transform, state)
	fmt.Fprintf(tw, "  serving\t%s since %s\n", s.Serving.Origin, s.Serving.Since.Format(time.RFC3339))
	if s.Previous != nil {
		fmt.Fprintf(tw, "  previous\t%s (%s)\n", s.Previous.Origin, s.Previous.Transform)
	}
	if f := s.LastFailure; f != nil {
		fmt.Fprintf(tw, "  last failure\t%s %s: %s\n", f.At.Format(time.RFC3339), f.To, f.Reason)
	}
	for id, why := range s.Rejected {
		fmt.Fprintf(tw, "  rejected\t%s: %s\n", id, why)
	}
	for _, ev := range s.History {
		line := ev.Outcome + " " + strings.TrimSpace(ev.From+" → "+ev.To)
		if ev.Reason != "" {
			line += ": " + ev.Reason
		}
		if ev.TookMs > 0 {
			line += fmt.Sprintf(" (%.1f ms)", ev.TookMs)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", ev.At.Format(time.RFC3339), line)
	}
	for _, v := range s.Versions { // each version's lifecycle (docs/registry.md, "Version lifecycle")
		line := v.Origin + " " + v.Outcome + ": " + strings.Join(v.States, " → ")
		if v.Class != "" {
			line += " (" + v.Class + ")"
		}
		fmt.Fprintf(tw, "  version\t%s\n", line)
	}
	_ = tw.Flush()
	_, _ = io.WriteString(w, printable(text.String()))
}

func changeAction(action string) cli.ActionFunc {
	return func(c *cli.Context) error {
		name := c.Args().First()
		if name == "" || c.NArg() != 1 {
			return cli.Exit("usage: weir transform "+action+" NAME", 2)
		}
		api, err := newAdminClient(c)
		if err != nil {
			return cli.Exit(err, 1)
		}
		req := host.AdminChange{}
		if action == "pin" {
			req.ID = c.String("id")
		}
		body, err := api.call(c.Context, "POST", "/weir/transforms/"+url.PathEscape(name)+"/"+action, req)
		if err != nil {
			return cli.Exit(err, 1)
		}
		var s host.Status
		if err := json.Unmarshal(body, &s); err != nil {
			return cli.Exit(err, 1)
		}
		printStatus(c.App.Writer, s)
		return nil
	}
}
