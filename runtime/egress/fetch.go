package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Request headers the guest may not set: the transport owns them, and a
// guest's Host would reach a host the allowlist did not check.
var hostOwnedHeaders = []string{
	"Host", "Connection", "Content-Length", "Transfer-Encoding", "Te", "Trailer",
	"Upgrade", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection",
}

// fetch runs one request: check, cache, send, read at most the cap.
func (e *Engine) fetch(ctx context.Context, r Request) Result {
	req, err := e.build(ctx, r)
	if err != nil {
		return failed(CodeRefused, e.inj.scrub(err.Error()))
	}
	where := req.Method + " " + describe(req.URL)
	key := ""
	if e.cacheable(req.Method) {
		key = e.cacheKey(req.Method, req.URL.String(), r.Header)
		if res, ok := e.fromCache(ctx, key); ok {
			return res
		}
	}
	ctx, cancel := context.WithTimeout(ctx, e.grant.Timeout)
	defer cancel()
	res := e.send(req.WithContext(ctx), where)
	if key != "" {
		e.toCache(ctx, key, res)
	}
	return res
}

// send does req and reads its body under the response cap.
func (e *Engine) send(req *http.Request, where string) Result {
	resp, err := e.client.Do(req)
	if err != nil {
		return e.classify(req.Context(), err, where)
	}
	defer resp.Body.Close()
	limit := e.grant.MaxResponseBytes
	if resp.ContentLength > int64(limit) {
		return failed(CodeTooLarge, fmt.Sprintf("%s: response of %d bytes is over the grant's max_response_bytes %d", where, resp.ContentLength, limit))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return e.classify(req.Context(), err, where)
	}
	if len(body) > limit {
		return failed(CodeTooLarge, fmt.Sprintf("%s: response body is over the grant's max_response_bytes %d", where, limit))
	}
	return Result{Code: CodeOK, Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// classify turns a failed exchange into the guest's result.
func (e *Engine) classify(ctx context.Context, err error, where string) Result {
	var ne net.Error
	switch r, ok := isRefusal(err); {
	case ok:
		return failed(CodeRefused, e.inj.scrub(where+": refused: "+r.msg))
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return failed(CodeTimeout, fmt.Sprintf("%s: timed out (grant timeout %s, connect_timeout %s, or the batch deadline)", where, e.grant.Timeout, e.grant.ConnectTimeout))
	case ctx.Err() != nil:
		return failed(CodeTimeout, where+": the batch was cancelled")
	case strings.Contains(err.Error(), "response headers exceeded"): // net/http exports no error for it
		return failed(CodeTooLarge, fmt.Sprintf("%s: response headers are over the grant's max_header_bytes %d", where, e.grant.MaxHeaderBytes))
	}
	return failed(CodeTransport, cut(e.inj.scrub(fmt.Sprintf("%s: %v", where, unwrapURL(err)))))
}

// unwrapURL drops url.Error's prefix, which repeats method and URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// build checks r against the grant and makes the request to send.
func (e *Engine) build(ctx context.Context, r Request) (*http.Request, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	if !slices.Contains(e.grant.Methods, method) {
		return nil, fmt.Errorf("method %q refused: the grant allows %v", method, e.grant.Methods)
	}
	u, err := e.allowURL(r.URL)
	if err != nil {
		return nil, err
	}
	if len(r.Body) > e.grant.MaxRequestBytes {
		return nil, fmt.Errorf("%s %s: request body of %d bytes is over the grant's max_request_bytes %d", method, describe(u), len(r.Body), e.grant.MaxRequestBytes)
	}
	h, err := e.guestHeaders(r.Header)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", method, describe(u), err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", method, describe(u), err)
	}
	req.Header = h
	return req, nil
}

// guestHeaders checks the guest's headers and adds the injected ones,
// which override the guest's of the same name.
func (e *Engine) guestHeaders(in http.Header) (http.Header, error) {
	h, n := make(http.Header, len(in)+len(e.inj.header)), 0
	for k, vs := range in {
		ck := http.CanonicalHeaderKey(k)
		if slices.Contains(hostOwnedHeaders, ck) {
			return nil, fmt.Errorf("header %s refused: the host sets it", ck)
		}
		for _, v := range vs {
			n += len(k) + len(v) + 4
			if !validHeader(k, v) {
				return nil, fmt.Errorf("header %q refused: invalid name or a control character in its value", k)
			}
			h.Add(ck, v)
		}
	}
	if n > e.grant.MaxHeaderBytes {
		return nil, fmt.Errorf("headers of %d bytes refused: over the grant's max_header_bytes %d", n, e.grant.MaxHeaderBytes)
	}
	for k, vs := range e.inj.header {
		h[k] = vs
	}
	return h, nil
}

// describe names a URL in messages: scheme, host and path, cut short,
// without query (a guest may put anything there).
func describe(u *url.URL) string {
	s := u.Scheme + "://" + u.Host + u.EscapedPath()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// maxErrBytes bounds a result's message: a library's message may quote
// what a server sent, a refusal quotes the guest's URL.
const maxErrBytes = 1 << 10

// cut shortens a scrubbed message to maxErrBytes (cutting after the
// scrub leaves no part of a secret).
func cut(s string) string {
	if len(s) > maxErrBytes {
		return s[:maxErrBytes] + "…"
	}
	return s
}

// quoteShort quotes a guest string for a message, cut short.
func quoteShort(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}
