package host_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// hostileName is a manifest name that would run script if the console
// put it into the page as markup.
const hostileName = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`

// browser starts Debian's chromium headless (make deps installs it) and
// returns a tab's context; its console messages are collected into
// *messages. --no-sandbox: CI runs the tests as root, where chromium's
// sandbox cannot start; the page it loads is the test's own.
func browser(t *testing.T) (context.Context, func() []string) {
	path, err := exec.LookPath("chromium")
	require.NoError(t, err, "the console's browser test needs chromium: make deps installs it (Debian chromium)")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1800))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	var mu sync.Mutex
	var seen []string
	messages := chromedp.Console(ctx) // subscribes now: nothing the page writes is missed
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				seen = append(seen, m.String())
				mu.Unlock()
			}
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string{}, seen...)
	}
}

// screenshot saves the page as build/artifacts/console/name.png.
func screenshot(t *testing.T, ctx context.Context, name string) {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	dir := filepath.Join(fixtures.Root(), "build", "artifacts", "console")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

// waitFor polls the page until the JavaScript expression is true.
func waitInPage(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(fixtures.Patience)))
	require.NoError(t, err, "the page never showed %s (%s)", what, expr)
}

// The console in a real browser: it loads with no console error (a CSP
// violation is one), shows the serving digest, draws points, shows the
// swap after the tag moves, and shows a hostile transform name and a
// hostile refusal reason (a golden fixture's name) as text: no element and no script comes of them.
func TestConsoleInABrowser(t *testing.T) {
	r := newRig(t)
	r.stamp("v1")
	hostile, err := runtime.Pack(fixtures.Stamp(t, "v2", false), runtime.Manifest{ABI: runtime.ABIVersion, Name: hostileName, Version: "2"})
	require.NoError(t, err)
	r.push(hostile, "v2")
	fixture := fmt.Sprintf(`{"cases":[{"name":%q,"in":[{"value":"a"}],"want":[{"out":[],"error":"never"}]}]}`, hostileName)
	refused, err := runtime.PackFixtures(fixtures.Stamp(t, "v3", false), []byte(fixture))
	require.NoError(t, err)
	r.push(refused, "bad")
	s := r.serve("console_browser", "v1", "", "")
	for range 5 {
		s.send(t, "a", "b", "c")
	}
	api, _ := adminServer(t, "console-browser-token")
	ctx, problems := browser(t)

	box := `document.querySelector('[data-transform="console_browser"]')`
	digest := statusOf(t, "console_browser").Serving.ModuleDigest
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(api.URL+"/")))
	waitInPage(t, ctx, "the serving digest", box+`?.querySelector('[data-serving-digest=`+strconv.Quote(digest)+`]') != null`)
	waitInPage(t, ctx, "points on the records plot", `Number(`+box+`?.querySelector('figure[data-plot="records/s"]')?.dataset.points) > 0`)
	screenshot(t, ctx, "serving")

	r.move("v2")
	waitInPage(t, ctx, "the swap to v2", `[...`+box+`.querySelectorAll('tr.event[data-outcome="swapped"]')].some(e => e.dataset.to.includes(`+strconv.Quote(r.digests["v2"])+`))`)
	s.send(t, "d")
	r.move("bad")
	waitInPage(t, ctx, "the refusal of bad", `[...`+box+`.querySelectorAll('tr.event[data-outcome="refused"]')].some(e => e.textContent.includes("fixture_failed"))`)
	screenshot(t, ctx, "swapped-and-refused")

	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](box+`.textContent`))
	require.NoError(t, err)
	assert.Contains(t, text, hostileName+"@2", "the serving version's name, as text")
	assert.Contains(t, text, `fixture "<img src=x`, "the refusal's reason, as text")
	injected, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('main img, main script, main [onerror]').length`))
	require.NoError(t, err)
	assert.Zero(t, injected, "an element made from a transform's name or a reason")
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
	require.NoError(t, err)
	assert.Equal(t, "weir console", title, "a script from a transform's name ran")
	assert.Empty(t, problems(), "console errors or warnings")
}
