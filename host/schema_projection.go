package host

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/schema"
)

// boundFields is one version's field projection on a schema-bound JSON
// stream (docs/schemas.md, "Projected JSON streams"): when the guest
// declares paths, each record is validated where it lies and the guest
// gets the values at its paths, found in the same pass; what it writes
// back is checked field by field. It is the pool's runtime.FieldHooks.
type boundFields struct {
	codec *schema.Codec

	mu      sync.Mutex // held by Declared; proj is set before the pool serves
	decided bool
	paths   []string
	proj    *schema.Projection // nil: the guest does not project, records go as binary protobuf
}

// fieldHooks is a new version's projection, or nil where the stream
// cannot project: a protobuf stream, another output type than the input,
// or a type the compiled plan does not take. Those keep the transcoding
// path.
func (b *binding) fieldHooks() runtime.FieldHooks {
	if !b.projects() {
		return nil
	}
	return &boundFields{codec: b.in}
}

func (b *binding) projects() bool {
	fast, _ := b.in.Fast()
	return b.json && fast && b.in.Type.FullName() == b.out.Type.FullName()
}

// Declared resolves the first instance's paths against the bound type; a
// path naming no field refuses the version at load. Every later instance
// must declare the same paths.
func (f *boundFields) Declared(paths []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.decided {
		if !slices.Equal(paths, f.paths) {
			return fmt.Errorf("declares paths %q, but the version's first instance declared %q: every instance must declare the same", paths, f.paths)
		}
		return nil
	}
	if paths != nil {
		p, err := f.codec.Project(paths)
		if err != nil {
			return fmt.Errorf("on a stream bound to %s, each path must name a field of it (by JSON or proto name): %w", f.codec.Type.FullName(), err)
		}
		f.proj = p
	}
	f.decided, f.paths = true, paths
	return nil
}

// Check vouches for a replacement that keeps its field valid.
func (f *boundFields) Check(ref int, typ byte, value []byte) bool {
	if f.proj == nil {
		return false
	}
	if typ == runtime.ReplaceText {
		return f.proj.CheckText(ref, value)
	}
	return typ == runtime.ReplaceJSON && f.proj.CheckValue(ref, value)
}

// projectionOf is the projection a version's pool runs with, or nil.
func projectionOf(pool *runtime.Pool) *schema.Projection {
	if f, ok := pool.Fields().(*boundFields); ok {
		return f.proj
	}
	return nil
}

// project validates a record in place and hands the guest the values at
// its paths, appended to g's span slab.
func (g *guestBatch) project(proj *schema.Projection, value []byte) ([]byte, []runtime.FieldSpan, error) {
	var err error
	value, g.found, err = proj.Check(value, g.found[:0])
	if err != nil {
		return nil, nil, err
	}
	first := len(g.spans)
	for _, f := range g.found {
		g.spans = append(g.spans, runtime.FieldSpan{Path: f.Path, Start: f.Start, End: f.End, Ref: f.Ref})
	}
	return value, g.spans[first:len(g.spans):len(g.spans)], nil
}

// fromProjected validates what a projecting guest wrote: nothing more
// when every replaced field passed its check, else the whole record, the
// plain way, which names the field that breaks.
func (b *binding) fromProjected(proj *schema.Projection, e runtime.Emit) ([]byte, error) {
	if e.Checked {
		return e.Value, nil
	}
	err := b.out.CheckJSON(e.Value)
	var se *schema.Error
	if errors.As(err, &se) && se.Path == "" && e.Refused {
		se.Path = proj.Path(e.RefusedRef) // protojson names no path for a wrong type
	}
	if err != nil {
		return nil, guestWrote(err)
	}
	return e.Value, nil
}

// guestWrote reclassifies a schema failure of the guest's output: not the
// input's fault.
func guestWrote(err error) error {
	var se *schema.Error
	if errors.As(err, &se) && se.Class == schema.ClassBadInput {
		se.Class = schema.ClassViolation
		se.Msg = "transform output: " + se.Msg
	}
	return err
}
