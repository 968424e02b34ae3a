package registry

import (
	"fmt"
	"net"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Schemes of a transform reference.
const (
	SchemeOCI   = "oci://"   // a remote registry: oci://host[:port]/repo[:tag|@digest]
	SchemeLocal = "local://" // the local store: local://repo[:tag|@digest]
)

// Ref names a transform in a store: by tag or by digest.
type Ref struct {
	Host   string // registry host[:port]; empty for the local store
	Repo   string // repository, e.g. "weir/mask"
	Tag    string
	Digest digest.Digest
}

// IsRef reports whether s is a registry reference rather than a file path.
func IsRef(s string) bool {
	return strings.HasPrefix(s, SchemeOCI) || strings.HasPrefix(s, SchemeLocal)
}

// ParseRef parses "oci://host/repo:tag", "oci://host/repo@sha256:…",
// "local://repo:tag" or "local://repo@sha256:…". A reference without tag or
// digest means the tag "latest".
func ParseRef(s string) (Ref, error) {
	var r Ref
	var rest string
	switch {
	case strings.HasPrefix(s, SchemeOCI):
		rest = strings.TrimPrefix(s, SchemeOCI)
		host, path, ok := strings.Cut(rest, "/")
		if !ok || host == "" {
			return r, fmt.Errorf("reference %q: want oci://HOST/REPO[:TAG|@DIGEST]", s)
		}
		r.Host, rest = host, path
	case strings.HasPrefix(s, SchemeLocal):
		rest = strings.TrimPrefix(s, SchemeLocal)
	default:
		return r, fmt.Errorf("reference %q: want oci://HOST/REPO[:TAG] or local://REPO[:TAG]", s)
	}
	if repo, dgst, ok := strings.Cut(rest, "@"); ok {
		d, err := digest.Parse(dgst)
		if err != nil {
			return r, fmt.Errorf("reference %q: digest: %w", s, err)
		}
		r.Digest, rest = d, repo
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "/") {
		r.Tag, rest = rest[i+1:], rest[:i]
		if r.Tag == "" {
			return r, fmt.Errorf("reference %q: empty tag", s)
		}
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	r.Repo = rest
	if err := validRepo(r.Repo); err != nil {
		return r, fmt.Errorf("reference %q: %w", s, err)
	}
	return r, nil
}

// validRepo accepts OCI repository names: lower-case path components of
// letters, digits and separators. It also keeps a local repository inside
// its store directory.
func validRepo(repo string) error {
	if repo == "" {
		return fmt.Errorf("empty repository name")
	}
	for _, part := range strings.Split(repo, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("repository %q: bad path component %q", repo, part)
		}
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("repository %q: %q is not allowed (lower-case letters, digits, '.', '_', '-', '/')", repo, c)
			}
		}
	}
	return nil
}

// Reference is what the store resolves: the digest if set, else the tag.
func (r Ref) Reference() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}

// WithDigest names the same repository at digest d.
func (r Ref) WithDigest(d digest.Digest) Ref {
	r.Tag, r.Digest = "", d
	return r
}

// WithTag names the same repository at tag t.
func (r Ref) WithTag(t string) Ref {
	r.Tag, r.Digest = t, ""
	return r
}

func (r Ref) String() string {
	s := SchemeLocal + r.Repo
	if r.Host != "" {
		s = SchemeOCI + r.Host + "/" + r.Repo
	}
	if r.Digest != "" {
		return s + "@" + r.Digest.String()
	}
	return s + ":" + r.Tag
}

// isLoopback reports whether a registry host is this machine.
func isLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
