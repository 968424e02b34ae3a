package schema

import (
	"sync"
)

// The fast path: a codec whose type the transcoder implements converts
// and validates records with its plan, in one pass over the bytes, and no
// reflection. Whatever the plan does not take — a malformed or invalid
// record, or a rare form of a valid one — goes to the protojson /
// dynamicpb / protovalidate path, whose answer stands: the fast path
// only ever says yes for a record the plain path accepts with the same
// result (the differential tests hold it to that), and every error comes
// from the plain path, with its class and field path.

// transcoder is the scratch state of one conversion, pooled per codec.
type transcoder struct {
	j jsonToWire
	w wireReader
}

func (c *Codec) compileFast() {
	p, err := compilePlan(c.Type)
	if err != nil {
		c.slowReason = err.Error()
		return
	}
	c.plan = p
	c.pool = &sync.Pool{New: func() any { return &transcoder{} }}
}

// Fast reports whether the codec converts and validates with its
// compiled plan, and if not, why (the first thing the transcoder does not
// implement).
func (c *Codec) Fast() (bool, string) {
	return c.plan != nil, c.slowReason
}

// JSONToBinary decodes protobuf JSON, validates it and encodes it as
// deterministic binary protobuf: FromJSON, Validate and ToBinary in one.
func (c *Codec) JSONToBinary(b []byte) ([]byte, error) {
	if err := c.checkSize(b); err != nil {
		return nil, err
	}
	if c.plan != nil {
		t := c.pool.Get().(*transcoder)
		t.j.out, t.j.maxDepth = make([]byte, 0, len(b)), c.limits.MaxDepth
		ok := t.j.run(c.plan, b)
		out := t.j.out
		t.j.out, t.j.in = nil, nil
		c.pool.Put(t)
		if ok {
			return out, nil
		}
	}
	m, err := c.FromJSON(b)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(m); err != nil {
		return nil, err
	}
	return c.ToBinary(m)
}

// CheckBinary validates binary protobuf without building a message:
// FromBinary (with the wrong-wire-type check) and Validate in one.
func (c *Codec) CheckBinary(b []byte) error {
	_, err := c.fromBinaryTo(b, false)
	return err
}

// BinaryToJSON decodes binary protobuf, validates it and encodes it as
// protobuf JSON with the proto field names: FromBinary, Validate and
// ToJSON in one.
func (c *Codec) BinaryToJSON(b []byte) ([]byte, error) {
	return c.fromBinaryTo(b, true)
}

func (c *Codec) fromBinaryTo(b []byte, toJSON bool) ([]byte, error) {
	if err := c.checkSize(b); err != nil {
		return nil, err
	}
	if c.plan != nil {
		t := c.pool.Get().(*transcoder)
		t.w.write, t.w.maxDepth, t.w.out = toJSON, c.limits.MaxDepth, nil
		if toJSON {
			t.w.out = make([]byte, 0, 2*len(b)+16)
		}
		ok := t.w.run(c.plan, b)
		out := t.w.out
		t.w.out = nil
		c.pool.Put(t)
		if ok {
			return out, nil
		}
	}
	m, err := c.FromBinary(b)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(m); err != nil {
		return nil, err
	}
	if !toJSON {
		return nil, nil
	}
	return c.ToJSON(m)
}
