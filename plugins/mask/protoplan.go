package main

import "github.com/weirstream/weir/sdk/go/pbwire"

// A state is where the walk is: a message type (noType when unbound or off
// the schema) and a node of the configured paths (noNode when off them).
// Every state the walk can reach from the record's root is compiled at
// init, with what to do with each field whose tag is one byte (numbers
// 1-15, most fields of most records): the record's walk then reads one
// table entry per such field, and works anything else out by decide.
type state struct {
	t, n int32
	tags [256]action // by tag byte; actSlow for the rest (a tag of more bytes, a bad wire type)
	keep [256]uint8  // by tag byte: 1 + the wire type where tags has actKeep, else 0
}

type action struct {
	kind uint8
	rule int32 // actMask: 1 + the rule's index
	next int32 // actMessage: the state of the message's content
}

// What the walk does with a field.
const (
	actSlow    = iota // tags only: not a one-byte tag of a known wire type
	actKeep           // passed on as it is
	actDrop           // left out
	actMask           // its text masked by rule
	actMessage        // walked, as state next
	actUnknown        // refused: not in the bound schema
	actWire           // refused: not the wire type the schema declares
	actNotText        // refused: masked, but not length-delimited
	actMsgWire        // refused: a message, but not length-delimited
)

// compileStates compiles every state reachable from the root.
func (p *protoMask) compileStates() {
	root := int32(noType)
	if p.types != nil {
		root = 0
	}
	p.stateOf = make([]int32, (len(p.types)+1)*(len(p.nodes)+1))
	for i := range p.stateOf {
		p.stateOf[i] = -1
	}
	p.states = nil
	p.state(root, 0)
	for s := 0; s < len(p.states); s++ { // p.state appends the states it finds
		for c := 1 << 3; c < 0x80; c++ {
			if w := c & 7; w == pbwire.Varint || w == pbwire.Fixed64 || w == pbwire.Bytes || w == pbwire.Fixed32 {
				a := p.decide(int32(s), uint32(c>>3), w) // may append to p.states
				p.states[s].tags[c] = a
				if a.kind == actKeep {
					p.states[s].keep[c] = uint8(w + 1)
				}
			}
		}
		// fields numbered past the tables still reach states
		t, n := p.states[s].t, p.states[s].n
		if t != noType {
			for _, fs := range [][]fieldPlan{p.types[t].dense, p.types[t].sparse} {
				for _, f := range fs {
					if f.declared {
						p.decide(int32(s), f.num, pbwire.Bytes)
					}
				}
			}
		}
		if n != noNode {
			for _, e := range p.nodes[n].children {
				p.decide(int32(s), e.num, pbwire.Bytes)
			}
		}
	}
}

// state returns the id of the state (t, n), compiling it if new.
func (p *protoMask) state(t, n int32) int32 {
	i := (t+1)*int32(len(p.nodes)+1) + n + 1
	if p.stateOf[i] < 0 {
		p.stateOf[i] = int32(len(p.states))
		p.states = append(p.states, state{t: t, n: n})
	}
	return p.stateOf[i]
}

// decide is what the walk does, in state s, with field num of wire type
// w: the schema's declaration first (undeclared, wrong wire type), then a
// configured path's rule, then the type's own rule, then what is inside.
func (p *protoMask) decide(s int32, num uint32, w int) action {
	t, n := p.states[s].t, p.states[s].n
	ft := &undeclared
	if t != noType {
		if ft = p.types[t].field(num); ft == nil {
			if p.dropUnknown {
				return action{kind: actDrop}
			}
			return action{kind: actUnknown}
		}
		if w != ft.wire && !(ft.packable && w == pbwire.Bytes) {
			return action{kind: actWire}
		}
	}
	next, rule := int32(noNode), ft.rule
	if n != noNode {
		if next = p.child(n, num); next != noNode && p.nodes[next].rule != 0 {
			rule = p.nodes[next].rule
		}
	}
	switch {
	case rule != 0 && ft.declared && !ft.text:
		return action{kind: actDrop} // marked, but no text to mask: left out, it reads as its default
	case rule != 0 && w != pbwire.Bytes:
		return action{kind: actNotText, rule: rule}
	case rule != 0:
		return action{kind: actMask, rule: rule}
	case ft.child != noType && w != pbwire.Bytes:
		return action{kind: actMsgWire}
	case ft.child != noType || (next != noNode && p.nodes[next].children != nil):
		if w != pbwire.Bytes {
			return action{kind: actKeep} // unbound: not the message the path goes through, nothing under it
		}
		return action{kind: actMessage, next: p.state(ft.child, next)}
	}
	return action{kind: actKeep}
}
