package jsonpath

import "encoding/binary"

// level is what a Set's paths ask of the values at one depth d: which
// paths end there, and which member names or array indexes lead on. With
// it a value costs one AND to learn the paths it is at, and a key one
// comparison per distinct name at that depth, not one per path.
type level struct {
	ends uint64    // paths of exactly d segments
	star uint64    // paths whose segment d is "*"
	segs []segment // the other segments d, each distinct text once
	// lens has bit k set if a key of k bytes between its quotes may match
	// (bit 63: 63 bytes or more); all bits if star is not empty
	lens uint64
}

// segment is one distinct segment text at a depth and the paths that have it.
type segment struct {
	text  string
	index int    // its array index, -1 if not a number (Path.idx)
	word  uint64 // its first eight bytes, little-endian, zero-padded (keyWord)
	paths uint64
}

// plan builds the levels of paths: one per depth, up to the longest path.
func plan(paths []Path) []level {
	depth := 0
	for _, p := range paths {
		depth = max(depth, len(p.segs))
	}
	lv := make([]level, depth+1)
	for i, p := range paths {
		bit := uint64(1) << i
		lv[len(p.segs)].ends |= bit
		for d, sg := range p.segs {
			if sg == "*" {
				lv[d].star |= bit
			} else {
				lv[d].add(sg, p.idx[d], bit)
			}
			lv[d].lens |= lenBit(sg)
		}
	}
	return lv
}

// lenBit is the bit of lens for a key of len(sg) bytes; a wildcard
// matches every length.
func lenBit(sg string) uint64 {
	if sg == "*" {
		return ^uint64(0)
	}
	return 1 << min(len(sg), 63)
}

// mayMatch reports whether an unescaped key of n bytes may match a
// segment at depth seg: false saves the call of matchKey for most keys.
func (s *Set) mayMatch(seg, n int) bool {
	return s.levels == nil || s.levels[seg].lens&(1<<min(n, 63)) != 0
}

func (l *level) add(text string, index int, bit uint64) {
	for i := range l.segs {
		if l.segs[i].text == text {
			l.segs[i].paths |= bit
			return
		}
	}
	var w [8]byte
	copy(w[:], text)
	l.segs = append(l.segs, segment{text: text, index: index, word: binary.LittleEndian.Uint64(w[:]), paths: bit})
}

// endingAt is the paths of match that end at depth d.
func (s *Set) endingAt(match uint64, d int) uint64 {
	if s.levels == nil {
		return s.endingAtEach(match, d)
	}
	if d >= len(s.levels) {
		return 0
	}
	return match & s.levels[d].ends
}

// matchIndex is the paths of alive whose segment seg is "*" or index i.
func (s *Set) matchIndex(alive uint64, seg, i int) uint64 {
	if s.levels == nil {
		return s.matchIndexEach(alive, seg, i)
	}
	l := &s.levels[seg]
	out := alive & l.star
	for k := range l.segs {
		if g := &l.segs[k]; g.index == i {
			out |= alive & g.paths
		}
	}
	return out
}

// matchKey is the paths of alive whose segment seg is "*" or the key; raw
// is the key between its quotes, decoded first if it holds escapes.
func (s *Set) matchKey(alive uint64, seg int, raw []byte, escaped bool) uint64 {
	if escaped {
		return s.matchEscapedKey(alive, seg, raw)
	}
	if s.levels == nil {
		return s.matchKeyEach(alive, seg, raw)
	}
	l := &s.levels[seg]
	out := alive & l.star
	w, ok := keyWord(raw)
	for k := range l.segs {
		g := &l.segs[k]
		if g.paths&alive == 0 || len(g.text) != len(raw) {
			continue
		}
		if ok && g.word == w && (len(raw) <= 8 || g.text[8:] == string(raw[8:])) || !ok && g.text == string(raw) {
			out |= alive & g.paths
		}
	}
	return out
}

// keyWord is the first eight bytes of raw as segment.word has them, read
// as one word: raw's bytes past its length, up to its capacity, are loaded
// and masked off. ok is false if raw's capacity is under eight bytes.
func keyWord(raw []byte) (w uint64, ok bool) {
	if cap(raw) < 8 {
		return 0, false
	}
	w = binary.LittleEndian.Uint64(raw[:8])
	if len(raw) < 8 {
		w &= 1<<(8*uint(len(raw))) - 1
	}
	return w, true
}

// matchEscapedKey is matchKey of a key that holds escapes: decoded, then
// compared (on the stack up to 64 bytes).
func (s *Set) matchEscapedKey(alive uint64, seg int, raw []byte) uint64 {
	var kb [64]byte
	return s.matchKey(alive, seg, appendUnescaped(kb[:0], raw), false)
}
