package host_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
)

// The attack of issue 13: a page in a browser posts a rollback to the
// admin API on loopback, by DNS rebinding or cross-origin, with a body a
// browser sends without a preflight. Even with the credential attached (a
// browser attaches a client certificate by itself), each is refused and
// nothing changes; each refusal is audited.
func TestAdminRefusesBrowserAttacks(t *testing.T) {
	r := newRig(t)
	r.stamp("g01")
	r.stamp("g02")
	r.serve("csrf", "g01", "", "")
	r.move("g02")
	waitFor(t, "csrf", "serving g02", serving(r.digests["g02"]))

	api, audit := adminServer(t, "s3cret")
	post := func(contentType string, mutate func(*http.Request)) int {
		req, err := http.NewRequest("POST", api.URL+"/weir/transforms/csrf/rollback", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer s3cret")
		mutate(req)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	json := "application/json"
	for _, c := range []struct {
		name        string
		contentType string
		mutate      func(*http.Request)
		want        int
	}{
		{"rebound host", json, func(r *http.Request) { r.Host = "evil.example:4196" }, http.StatusForbidden},
		{"foreign origin", json, func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }, http.StatusForbidden},
		{"null origin", json, func(r *http.Request) { r.Header.Set("Origin", "null") }, http.StatusForbidden},
		{"cross-site fetch", json, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, http.StatusForbidden},
		{"same-site fetch", json, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") }, http.StatusForbidden},
		{"text/plain body", "text/plain", func(*http.Request) {}, http.StatusUnsupportedMediaType},
		{"form body", "application/x-www-form-urlencoded", func(*http.Request) {}, http.StatusUnsupportedMediaType},
		{"all at once", "text/plain", func(r *http.Request) {
			r.Host = "evil.example:4196"
			r.Header.Set("Origin", "http://evil.example:4196")
		}, http.StatusForbidden},
	} {
		assert.Equal(t, c.want, post(c.contentType, c.mutate), c.name)
	}
	st := statusOf(t, "csrf")
	assert.Equal(t, r.digests["g02"], st.Serving.ID, "nothing changed")
	assert.Empty(t, st.Rejected, "nothing changed")
	refusals := auditLines(t, audit, func(ev host.AuditEvent) bool { return ev.Outcome == "refused" && ev.Action == "rollback" })
	assert.Len(t, refusals, 8)

	// the API's own origin, as a same-origin page would send it, is not refused
	code := post(json, func(r *http.Request) { r.Header.Set("Origin", api.URL) })
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, r.digests["g01"], statusOf(t, "csrf").Serving.ID)
}
