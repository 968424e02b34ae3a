package host

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/opencontainers/go-digest"

	"github.com/weirstream/weir/registry"
	"github.com/weirstream/weir/runtime"
)

// A moduleSource is where a processor's transform versions come from: a
// file or a registry reference.
type moduleSource interface {
	// resolve names the version the source offers now, cheaply: a
	// registry's manifest digest, a file's module digest.
	resolve(ctx context.Context) (id string, err error)
	// fetch gets version id, verified (digest, size, signature).
	fetch(ctx context.Context, id string) (candidate, error)
	// lastGood is the version to serve when the source cannot give one at
	// start-up, or an error saying why there is none.
	lastGood(ctx context.Context) (candidate, error)
	// watch calls poke whenever the source may have changed, until ctx ends.
	watch(ctx context.Context, poke func())
	String() string
}

// candidate is a fetched version, not yet admitted.
type candidate struct {
	id, origin string
	signer     string // the key id of the signature that verified it, if any
	wasm       []byte
	keep       func(ctx context.Context) error // called once it serves; may be nil
}

// errRefused marks a candidate that can never go live (bad signature,
// admission, contract, fixtures), as opposed to a fetch that may work on
// the next try.
var errRefused = errors.New("refused")

type refusal struct {
	step string
	err  error
}

func (r *refusal) Error() string          { return r.step + ": " + r.err.Error() }
func (r *refusal) Unwrap() []error        { return []error{errRefused, r.err} }
func refuse(step string, err error) error { return &refusal{step: step, err: err} }

// fileSource is a .wasm file, watched with fsnotify.
type fileSource struct {
	path     string
	interval time.Duration
}

func (f *fileSource) String() string { return f.path }

func (f *fileSource) resolve(context.Context) (string, error) {
	wasm, err := runtime.ReadModuleFile(f.path, 0)
	if err != nil {
		return "", err
	}
	return runtime.Digest(wasm), nil
}

func (f *fileSource) fetch(_ context.Context, id string) (candidate, error) {
	wasm, err := runtime.ReadModuleFile(f.path, 0)
	if err != nil {
		return candidate{}, err
	}
	if d := runtime.Digest(wasm); d != id {
		return candidate{}, fmt.Errorf("%s changed while loading (%s, not %s)", f.path, d, id)
	}
	return candidate{id: id, origin: f.path, wasm: wasm}, nil
}

func (f *fileSource) lastGood(context.Context) (candidate, error) {
	return candidate{}, fmt.Errorf("a file has no last-known-good copy")
}

// watch follows the file's directory, since editors and build tools
// replace files by renaming; events are debounced by 100 ms.
func (f *fileSource) watch(ctx context.Context, poke func()) {
	w, err := fsnotify.NewWatcher()
	if err == nil {
		err = w.Add(filepath.Dir(f.path))
	}
	if err != nil {
		pollEvery(ctx, f.interval, poke) // fall back to polling
		return
	}
	defer w.Close()
	name := filepath.Clean(f.path)
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-w.Events:
			if filepath.Clean(ev.Name) == name {
				settle = time.After(100 * time.Millisecond)
			}
		case <-w.Errors:
		case <-settle:
			poke()
		}
	}
}

func pollEvery(ctx context.Context, d time.Duration, poke func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			poke()
		}
	}
}

// registrySource is a reference into a local store or a registry.
type registrySource struct {
	ref      registry.Ref
	repo     *registry.Repo
	cache    registry.Cache
	keys     []*ecdsa.PublicKey // signatures required from one of these, if any
	interval time.Duration
}

func (r *registrySource) String() string { return r.ref.String() }

func (r *registrySource) resolve(ctx context.Context) (string, error) {
	if r.ref.Digest != "" {
		return r.ref.Digest.String(), nil
	}
	desc, err := r.repo.Resolve(ctx, r.ref.Tag)
	return desc.Digest.String(), err
}

func (r *registrySource) fetch(ctx context.Context, id string) (candidate, error) {
	return r.fetchFrom(ctx, r.repo, id)
}

func (r *registrySource) fetchFrom(ctx context.Context, repo *registry.Repo, id string) (candidate, error) {
	if _, err := digest.Parse(id); err != nil {
		return candidate{}, refuse("resolve", err)
	}
	desc, err := repo.Resolve(ctx, id)
	if err != nil {
		return candidate{}, err
	}
	art, err := repo.Fetch(ctx, desc)
	if err != nil {
		return candidate{}, fmt.Errorf("fetch: %w", err)
	}
	var signer string
	if len(r.keys) > 0 {
		sig, err := repo.VerifySignature(ctx, desc, r.keys)
		switch {
		case errors.Is(err, registry.ErrUnsigned): // no signature by an accepted key: never goes live
			return candidate{}, refuse("verify signature", err)
		case err != nil: // the signatures could not be read: try again later
			return candidate{}, fmt.Errorf("verify signature: %w", err)
		}
		signer = sig.KeyID
	}
	origin := r.ref.WithDigest(desc.Digest).String()
	keep := func(ctx context.Context) error { return r.cache.Keep(ctx, repo, desc, r.ref) }
	return candidate{id: id, origin: origin, signer: signer, wasm: art.Wasm, keep: keep}, nil
}

func (r *registrySource) lastGood(ctx context.Context) (candidate, error) {
	repo, desc, err := r.cache.LastGood(ctx, r.ref)
	if err != nil {
		return candidate{}, err
	}
	c, err := r.fetchFrom(ctx, repo, desc.Digest.String())
	c.keep = nil
	return c, err
}

func (r *registrySource) watch(ctx context.Context, poke func()) { pollEvery(ctx, r.interval, poke) }
