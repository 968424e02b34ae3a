package egress

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// maxSecretFileBytes caps a {{file:…}} reference: a secret is a token, not
// a document.
const maxSecretFileBytes = 64 << 10

// injected are a grant's headers with their references resolved: the
// values the guest never sees.
type injected struct {
	header  http.Header
	secrets []string // every resolved reference's value, to scrub from errors
}

// resolveHeaders resolves every {{env:NAME}} and {{file:/path}} in the
// grant's header values. An error names the header and the reference,
// never a value.
func resolveHeaders(hs map[string]string) (injected, error) {
	in := injected{header: http.Header{}}
	for name, v := range hs {
		if !httpguts.ValidHeaderFieldName(name) {
			return injected{}, fmt.Errorf("http grant: header name %q is not a valid HTTP header name", name)
		}
		val, secrets, err := expand(v)
		if err != nil {
			return injected{}, fmt.Errorf("http grant: header %s: %v", name, err)
		}
		if !httpguts.ValidHeaderFieldValue(val) {
			return injected{}, fmt.Errorf("http grant: header %s: its value (after references are resolved) holds a control character such as a newline", name)
		}
		in.header.Set(name, val)
		in.secrets = append(in.secrets, secrets...)
	}
	return in, nil
}

// expand replaces each {{kind:ref}} in v with what it references.
func expand(v string) (string, []string, error) {
	var out strings.Builder
	var secrets []string
	for {
		i := strings.Index(v, "{{")
		if i < 0 {
			out.WriteString(v)
			return out.String(), secrets, nil
		}
		j := strings.Index(v[i:], "}}")
		if j < 0 {
			return "", nil, fmt.Errorf("unterminated reference at byte %d: want {{env:NAME}} or {{file:/path}}", i)
		}
		ref := v[i+2 : i+j]
		s, err := lookupRef(ref)
		if err != nil {
			return "", nil, err
		}
		out.WriteString(v[:i])
		out.WriteString(s)
		if s != "" {
			secrets = append(secrets, s)
		}
		v = v[i+j+2:]
	}
}

func lookupRef(ref string) (string, error) {
	kind, name, _ := strings.Cut(ref, ":")
	switch kind {
	case "env":
		s, ok := os.LookupEnv(name)
		if !ok || name == "" {
			return "", fmt.Errorf("reference {{%s}}: environment variable %q is not set", ref, name)
		}
		return s, nil
	case "file":
		return readSecretFile(name, ref)
	}
	return "", fmt.Errorf("reference {{%s}}: unknown kind %q, want env or file", ref, kind)
}

func readSecretFile(path, ref string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reference {{%s}}: %v", ref, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("reference {{%s}}: %v", ref, err)
	}
	if len(b) > maxSecretFileBytes {
		return "", fmt.Errorf("reference {{%s}}: the file is over %d bytes", ref, maxSecretFileBytes)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// scrub replaces every secret in msg: a message a server or a library
// echoed can reach the guest, a secret in it must not.
func (in injected) scrub(msg string) string {
	for _, s := range in.secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[secret]")
		}
	}
	return msg
}
