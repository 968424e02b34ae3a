package host

import (
	"embed"
	"io/fs"
	"net/http"
	"sort"
	"time"
)

// The operator's console: a read-only status page the admin API serves
// at /weir/console/ (and / redirects there), embedded in the binary, no
// asset from elsewhere. Its script polls GET /weir/console/series and
// draws the plots itself; every text it shows goes in as textContent,
// and the page's Content-Security-Policy lets it load and reach nothing
// but its own origin (docs/RATIONALE.md, "Why can a transform's name not
// script the console?").

//go:embed console
var consoleFiles embed.FS

// consolePolicy is every console response's Content-Security-Policy: no
// inline script or style, nothing from another origin, no framing.
const consolePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (a *adminAPI) consoleRoutes() {
	page, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic("weir: the console's embedded files: " + err.Error()) // the embed directive names the directory
	}
	static := http.StripPrefix("/weir/console", http.FileServerFS(page))
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/weir/console/", http.StatusFound)
	})
	a.mux.Handle("GET /weir/console/", consoleHeaders(static))
	a.mux.Handle("GET /weir/console/series", consoleHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, consoleSnapshot(time.Now()))
	})))
}

// consoleHeaders sets the console's security headers on h's answers.
func consoleHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", consolePolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// consoleView is what GET /weir/console/series answers: every transform
// slot's status, its pool and the rings of its recent versions.
type consoleView struct {
	Now        time.Time          `json:"now"`
	Seconds    int                `json:"seconds"` // the rings' span
	Transforms []consoleTransform `json:"transforms"`
}

type consoleTransform struct {
	Status
	Signer     string           `json:"serving_signer,omitempty"` // the key id that verified the serving version
	Pool       poolState        `json:"pool"`
	DeadLetter map[string]int64 `json:"dead_letter"` // records flagged over the rings' span, by class
	Series     []versionPoints  `json:"series"`      // oldest version first
}

// poolState is the serving version's pool.
type poolState struct {
	Instances           int    `json:"instances"`
	Replaced            int64  `json:"replaced"` // instances discarded and made again since it started serving
	Timeout             string `json:"timeout"`
	Fuel                int64  `json:"fuel"` // per batch; 0: unmetered
	MaxCallsPerInstance int    `json:"max_calls_per_instance,omitempty"`
}

// versionPoints is one version's ring, its seconds with batches, oldest
// first.
type versionPoints struct {
	Transform string       `json:"transform"`
	Digest    string       `json:"digest"`
	Points    []pointValue `json:"points"`
}

type pointValue struct {
	T             int64            `json:"t"` // unix second
	Records       int64            `json:"records"`
	Dropped       int64            `json:"dropped,omitempty"`
	Failed        int64            `json:"failed,omitempty"`
	Classes       map[string]int64 `json:"classes,omitempty"`
	FuelPerRecord float64          `json:"fuel_per_record"`
	P50Ns         int64            `json:"p50_ns"`
	P99Ns         int64            `json:"p99_ns"`
	Replaced      int64            `json:"replaced,omitempty"`
}

// consoleSnapshot is the console's view at now: the complete seconds of
// the last seriesSeconds.
func consoleSnapshot(now time.Time) consoleView {
	slotsMu.Lock()
	all := make([]*slot, 0, len(slots))
	for _, e := range slots {
		all = append(all, e.slot)
	}
	slotsMu.Unlock()
	view := consoleView{Now: now, Seconds: seriesSeconds, Transforms: make([]consoleTransform, 0, len(all))}
	for _, s := range all {
		view.Transforms = append(view.Transforms, s.console(now))
	}
	sort.Slice(view.Transforms, func(i, j int) bool { return view.Transforms[i].Name < view.Transforms[j].Name })
	return view
}

func (s *slot) console(now time.Time) consoleTransform {
	v := s.cur.Load()
	lim := v.pool.Limits()
	t := consoleTransform{Status: s.status(), Signer: s.signerOf(v.id), DeadLetter: map[string]int64{},
		Pool: poolState{Instances: lim.Size, Replaced: v.pool.Replaced(), Timeout: lim.Timeout.String(), Fuel: lim.Fuel, MaxCallsPerInstance: lim.MaxCallsPerInstance}}
	s.series.mu.Lock()
	rings := append([]*versionSeries{}, s.series.versions...)
	s.series.mu.Unlock()
	for _, vs := range rings {
		vp := vs.snapshot(now)
		for _, p := range vp.Points {
			for c, n := range p.Classes {
				t.DeadLetter[c] += n
			}
		}
		t.Series = append(t.Series, vp)
	}
	return t
}

// snapshot is the ring's complete seconds within the span before now,
// oldest first.
func (vs *versionSeries) snapshot(now time.Time) versionPoints {
	vp := versionPoints{Transform: vs.transform, Digest: vs.digest, Points: []pointValue{}}
	end := now.Unix() // the second under way is not complete
	vs.mu.Lock()
	defer vs.mu.Unlock()
	for i := range vs.points {
		p := &vs.points[i]
		if p.sec < end && p.sec >= end-seriesSeconds {
			vp.Points = append(vp.Points, p.value())
		}
	}
	sort.Slice(vp.Points, func(i, j int) bool { return vp.Points[i].T < vp.Points[j].T })
	return vp
}

func (p *seriesPoint) value() pointValue {
	v := pointValue{T: p.sec, Records: p.records, Dropped: p.dropped, Failed: p.failed, Replaced: p.replaced,
		P50Ns: p.quantile(0.5).Nanoseconds(), P99Ns: p.quantile(0.99).Nanoseconds()}
	if p.records > 0 {
		v.FuelPerRecord = float64(p.fuel) / float64(p.records)
	}
	for _, c := range p.classes {
		if c.class == "" {
			break
		}
		if v.Classes == nil {
			v.Classes = map[string]int64{}
		}
		v.Classes[c.class] += c.n
	}
	return v
}
