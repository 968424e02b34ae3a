package host_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// consoleSeries is the part of GET /weir/console/series the tests read.
type consoleSeries struct {
	Seconds    int `json:"seconds"`
	Transforms []struct {
		Name    string `json:"name"`
		Serving struct {
			ModuleDigest string `json:"module_digest"`
		} `json:"serving"`
		Pool struct {
			Instances int `json:"instances"`
		} `json:"pool"`
		DeadLetter map[string]int64 `json:"dead_letter"`
		Series     []struct {
			Transform string `json:"transform"`
			Digest    string `json:"digest"`
			Points    []struct {
				T             int64            `json:"t"`
				Records       int64            `json:"records"`
				Classes       map[string]int64 `json:"classes"`
				FuelPerRecord float64          `json:"fuel_per_record"`
				P50Ns         int64            `json:"p50_ns"`
			} `json:"points"`
		} `json:"series"`
	} `json:"transforms"`
}

func getConsoleSeries(t *testing.T, base string) consoleSeries {
	t.Helper()
	resp, err := http.Get(base + "/weir/console/series")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var v consoleSeries
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

// recordsSeen sums the records of transform name's points, per version
// (by transform name@version).
func recordsSeen(v consoleSeries, name string) map[string]int64 {
	out := map[string]int64{}
	for _, tr := range v.Transforms {
		if tr.Name != name {
			continue
		}
		for _, s := range tr.Series {
			for _, p := range s.Points {
				out[s.Transform] += p.Records
			}
		}
	}
	return out
}

// The console's page, script and series are served read-only to a
// loopback reader, each with the strict Content-Security-Policy; the
// series count every record of the batches sent, under the version
// that ran them.
func TestConsoleServesPageAndSeries(t *testing.T) {
	r := newRig(t)
	r.stamp("v1")
	s := r.serve("console_series", "v1", "", "")
	for range 3 {
		s.send(t, "a", "b", "c", "d")
	}
	api, _ := adminServer(t, "console-token")

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(api.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/weir/console/", resp.Header.Get("Location"))

	for path, kind := range map[string]string{"/weir/console/": "text/html", "/weir/console/console.js": "text/javascript", "/weir/console/console.css": "text/css", "/weir/console/series": "application/json"} {
		resp, err := http.Get(api.URL + path)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, resp.Header.Get("Content-Type"), kind, path)
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'", path)
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self';", path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
	}

	var v consoleSeries
	fixtures.WaitUntilShowing(t, "the console's series count the 12 records", func() bool {
		v = getConsoleSeries(t, api.URL)
		return recordsSeen(v, "console_series")["stamp@v1"] == 12
	}, func() string { return toJSON(v) })
	assert.Equal(t, 600, v.Seconds)
	for _, tr := range v.Transforms {
		if tr.Name == "console_series" {
			assert.Equal(t, statusOf(t, "console_series").Serving.ModuleDigest, tr.Serving.ModuleDigest)
			assert.Positive(t, tr.Pool.Instances)
			assert.Positive(t, tr.Series[0].Points[0].P50Ns, "each second with batches has a latency")
		}
	}
}

// The series and the page are not for another site: a page elsewhere that
// fetches them is refused by the admin API's guard.
func TestConsoleRefusesCrossSiteReads(t *testing.T) {
	api, _ := adminServer(t, "console-token")
	for _, path := range []string{"/weir/console/", "/weir/console/series"} {
		req, err := http.NewRequest(http.MethodGet, api.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, path)
	}
}

// The console's script never turns data into markup: every text from the
// server goes in as textContent or an attribute's value. (The browser
// test shows a hostile name and refusal reason staying text.)
func TestConsoleScriptWritesNoMarkup(t *testing.T) {
	js, err := os.ReadFile(filepath.Join(fixtures.Root(), "host/console/console.js"))
	require.NoError(t, err)
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*["']on|\.on\w+\s*=`)
	assert.Empty(t, sinks.FindAllString(string(js), -1), "an HTML or script sink in the console's script")
	html, err := os.ReadFile(filepath.Join(fixtures.Root(), "host/console/index.html"))
	require.NoError(t, err)
	assert.NotRegexp(t, `<script>|<style>|\sstyle=|\son\w+=|https?://`, string(html), "inline script or style, or an asset from elsewhere")
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
