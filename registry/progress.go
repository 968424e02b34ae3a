package registry

import (
	"context"
	"io"
	"net/http"
)

// Progress is called as a module's bytes move: done of total so far, from
// the goroutine moving them. A retried upload starts again from 0.
type Progress func(done, total int64)

type progressKey struct{}

// WithProgress returns a context under which Push reports the module's
// upload, and Fetch and Pull its download, to report (as httptrace does
// for a request). Manifests, configs and signatures are not reported.
func WithProgress(ctx context.Context, report Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, report)
}

func progressOf(ctx context.Context) Progress {
	p, _ := ctx.Value(progressKey{}).(Progress)
	return p
}

// counted reports the bytes read through r, of total, to report (none
// when report is nil).
func counted(r io.Reader, total int64, report Progress) io.Reader {
	if report == nil {
		return r
	}
	return &countingReader{r: r, total: total, report: report}
}

type countingReader struct {
	r      io.Reader
	done   int64
	total  int64
	report Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.done += int64(n)
		c.report(c.done, c.total)
	}
	return n, err
}

// countingBody is a request body read through a countingReader.
type countingBody struct {
	io.Reader
	io.Closer
}

// progressTransport reports the upload of a module to a remote registry:
// the PUT whose body is the module (its length is the one reported). It
// wraps each attempt's body below the retrying transport, so the body a
// retry sends again is counted again, and the retry can still rewind it
// (a reader wrapped above would have no GetBody, and no retry).
type progressTransport struct{ base http.RoundTripper }

func (t progressTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	up, _ := req.Context().Value(uploadKey{}).(upload)
	if up.report == nil || req.Method != http.MethodPut || req.Body == nil || req.ContentLength != up.size {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Body = countingBody{counted(req.Body, up.size, up.report), req.Body}
	return t.base.RoundTrip(r)
}

type uploadKey struct{}

// upload is a module's upload in progress, for progressTransport.
type upload struct {
	size   int64
	report Progress
}
