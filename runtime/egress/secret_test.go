package egress_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirstream/weir/runtime/egress"
)

const (
	envSecret  = "s3cr3t-from-env-7f1c"
	fileSecret = "s3cr3t-from-file-90ab"
)

// Injected headers carry the secrets to the server and nowhere else: no
// result the guest gets holds one, whatever fails, even when a server
// echoes the request into a broken response.
func TestSecretsReachOnlyTheServer(t *testing.T) {
	t.Setenv("EGRESS_TEST_TOKEN", envSecret)
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	seen := make(chan http.Header, 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		w.Write([]byte("ok"))
	})
	echo := echoBroken(t)
	g := egress.Grant{
		Hosts:          []egress.Host{local("127.0.0.1", srv.port(t)), local("127.0.0.1", echo.port)},
		Headers:        map[string]string{"Authorization": "Bearer {{env:EGRESS_TEST_TOKEN}}", "X-Key": "{{file:" + path + "}}"},
		MaxHeaderBytes: 200,
	}
	e := newEngine(t, nil, g, "127.0.0.1")
	r := fetch1(t, e, egress.Request{URL: srv.URL, Header: http.Header{"Authorization": {"guest-chosen"}, "X-Guest": {"{{env:EGRESS_TEST_TOKEN}}"}}})
	wantCode(t, r, egress.CodeOK)
	h := <-seen
	if h.Get("Authorization") != "Bearer "+envSecret || h.Get("X-Key") != fileSecret {
		t.Fatalf("server saw Authorization %q X-Key %q: want the injected values, overriding the guest's", h.Get("Authorization"), h.Get("X-Key"))
	}
	if h.Get("X-Guest") != "{{env:EGRESS_TEST_TOKEN}}" {
		t.Fatalf("a guest's header was expanded to %q: only the grant's are", h.Get("X-Guest"))
	}
	results := e.FetchMany(context.Background(), []egress.Request{
		get("http://" + echo.addr + "/"),
		get(srv.URL + "/?q=" + strings.Repeat("a", 9000)),
		{URL: srv.URL, Method: "PUT"},
	})
	if !strings.Contains(results[0].Err, "[secret]") {
		t.Errorf("the echoing server's error %q: want its echo of the secret scrubbed", results[0].Err)
	}
	for i, res := range results {
		if res.Code == egress.CodeOK {
			t.Errorf("request %d succeeded: the test wants failures", i)
		}
		t.Logf("%s: %s", res.Code, res.Err)
		assertNoSecret(t, res.Err+string(res.Body))
	}
}

// A reference that cannot be resolved fails start-up naming it, and a
// resolved value that would split a header is refused without quoting it.
func TestSecretReferenceErrors(t *testing.T) {
	t.Setenv("EGRESS_TEST_NEWLINE", envSecret+"\r\nX-Evil: 1")
	cases := map[string]string{
		"{{env:EGRESS_TEST_UNSET}}":   `"EGRESS_TEST_UNSET" is not set`,
		"{{file:/nonexistent/key}}":   "/nonexistent/key",
		"{{vault:x}}":                 `unknown kind "vault"`,
		"Bearer {{env:X":              "unterminated",
		"{{env:EGRESS_TEST_NEWLINE}}": "control character",
	}
	for v, says := range cases {
		_, err := egress.New(egress.Config{Grant: egress.Grant{Headers: map[string]string{"Authorization": v}}})
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("header %q: error %v, want one saying %q", v, err, says)
			continue
		}
		assertNoSecret(t, err.Error())
	}
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(s, envSecret) || strings.Contains(s, fileSecret) {
		t.Fatalf("a secret leaked: %q", s)
	}
}

type brokenEcho struct {
	addr string
	port int
}

// echoBroken is a TCP server that answers an HTTP request with its own
// request line and headers as a malformed header line, so the client's
// error quotes what the server sent: the injected secret among it.
func echoBroken(t *testing.T) brokenEcho {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				var lines []string
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
					lines = append(lines, strings.TrimSpace(line))
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nEcho " + strings.Join(lines, " | ") + "\r\n\r\n"))
			}()
		}
	}()
	return brokenEcho{addr: l.Addr().String(), port: l.Addr().(*net.TCPAddr).Port}
}
