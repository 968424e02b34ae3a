package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// Config is the transform's config blob (the `config` of the wasm processor).
type Config struct {
	// Format is "json" (default: paths are dotted names) or "protobuf"
	// (records are binary protobuf, as a schema-bound pipeline delivers
	// them; paths are dotted field numbers, e.g. "3.3").
	Format  string      `json:"format"`
	Fields  []FieldRule `json:"fields"`
	HMACKey string      `json:"hmac_key"`
	// UnknownFields is what protobuf mode does with a field the bound
	// schema does not declare, at any depth: "refuse" (default: the record
	// fails, as a JSON stream's record with an unknown field does at the
	// host) or "drop" (the field is left out of the output). Never passed
	// on: the mask cannot tell whether it holds PII.
	UnknownFields string `json:"unknown_fields"`
	// Projection is whether JSON mode declares the rules' paths to the
	// host (field projection, docs/abi.md §4b): the host scans each record
	// natively and the mask sees only the values to mask. Default true;
	// false masks the whole value in the guest, as protobuf mode always
	// does. Both give the same output for every record.
	Projection *bool `json:"projection"`
	// WeirSchema is added by the host when the pipeline is schema-bound
	// (docs/abi.md §3): with no fields configured, every field marked
	// sensitive is masked, in every message of its type at any depth.
	// On a JSON stream the host projects (format "json", projection true)
	// it lists the sensitive fields by JSON path too: the mask then masks
	// them in JSON mode, projecting (bound.go).
	WeirSchema *struct {
		Input         string                  `json:"input"`
		Messages      map[string]messageShape `json:"messages"`
		Format        string                  `json:"format"`
		Projection    bool                    `json:"projection"`
		SensitiveJSON []sensitiveJSON         `json:"sensitive_json"`
	} `json:"weir_schema"`
}

// messageShape and fieldShape mirror schema.MessageShape, which the guest
// cannot import (it would pull protobuf-go into the module).
type messageShape map[uint32]fieldShape

type fieldShape struct {
	Message      string
	Text         bool
	Wire         int
	Packable     bool
	Kind, Action string
}

// FieldRule masks the values at one path.
type FieldRule struct {
	Path   string     `json:"path"`
	Action string     `json:"action"` // redact | last | email | hmac
	Keep   int        `json:"keep"`   // last: characters kept (default 4)
	With   string     `json:"with"`   // replacement / prefix (default "***")
	act    maskAction // Action, compiled by compileAction
}

// maskAction is a rule's Action as the hot path switches on it: an integer,
// not a string compared per value.
type maskAction uint8

const (
	actRedact maskAction = iota
	actLast
	actEmail
	actHMAC
)

type rule struct {
	FieldRule
	path     jsonpath.Path
	jsonWith string   // With as the inside of a JSON string (JSON mode)
	numbers  []uint32 // protobuf mode
}

type masker struct {
	proto   bool
	project bool      // JSON mode: the host projects the rules' paths
	pb      protoMask // protobuf mode
	rules   []rule
	mac     hash.Hash
	sum     [sha256.Size]byte
	set     *jsonpath.Set    // JSON mode: every rule's path, scanned in one pass
	spans   []jsonpath.Match // JSON mode: reused per record
	bufs    [2][]byte
	text    []byte // one masked value, reused
	head    []byte // protobuf mode: a rewritten field's tag and length, reused
}

func newMasker(config []byte) (*masker, error) {
	var c Config
	if len(config) > 0 {
		if err := json.Unmarshal(config, &c); err != nil {
			return nil, fmt.Errorf("mask: config: %w", err)
		}
	}
	bySchema := len(c.Fields) == 0 && c.WeirSchema != nil
	if bySchema {
		rules, err := schemaFields(c)
		if err != nil {
			return nil, err
		}
		if rules != nil {
			c.Fields, bySchema = rules, false // JSON mode, projecting (bound.go)
		}
	}
	if bySchema {
		c.Format = "protobuf"
	}
	if len(c.Fields) == 0 && !bySchema {
		return nil, errors.New("mask: config: fields: at least one field rule is required")
	}
	m := &masker{proto: c.Format == "protobuf"}
	m.project = !m.proto && (c.Projection == nil || *c.Projection)
	if c.Format != "" && c.Format != "json" && !m.proto {
		return nil, fmt.Errorf("mask: config: format: want json or protobuf, got %q", c.Format)
	}
	for i, f := range c.Fields {
		r, err := compileRule(i, f, c.HMACKey, m.proto)
		if err != nil {
			return nil, err
		}
		m.rules = append(m.rules, r)
	}
	if c.HMACKey != "" {
		m.mac = hmac.New(sha256.New, []byte(c.HMACKey))
	}
	var err error
	if m.proto {
		err = m.compileProto(c, bySchema)
	} else {
		err = m.compileSet()
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func compileRule(i int, f FieldRule, key string, proto bool) (rule, error) {
	var r rule
	var err error
	if proto {
		r.numbers, err = fieldNumbers(f.Path)
	} else {
		r.path, err = jsonpath.Compile(f.Path)
	}
	if err != nil {
		return rule{}, fmt.Errorf("mask: config: fields[%d].path: %w", i, err)
	}
	r.FieldRule, err = compileAction(fmt.Sprintf("fields[%d]", i), f, key)
	q := jsonpath.AppendQuote(nil, r.With)
	r.jsonWith = string(q[1 : len(q)-1])
	return r, err
}

// compileAction applies an action's defaults and checks it; where names the
// rule in errors.
func compileAction(where string, f FieldRule, key string) (FieldRule, error) {
	if f.With == "" && f.Action != "hmac" {
		f.With = "***"
	}
	if f.Keep == 0 {
		f.Keep = 4
	}
	switch f.Action {
	case "redact":
		f.act = actRedact
	case "last":
		f.act = actLast
	case "email":
		f.act = actEmail
	case "hmac":
		if key == "" {
			return FieldRule{}, fmt.Errorf("mask: config: %s: action hmac needs hmac_key", where)
		}
		f.act = actHMAC
	default:
		return FieldRule{}, fmt.Errorf("mask: config: %s.action: unknown action %q (want redact, last, email or hmac)", where, f.Action)
	}
	if f.Keep < 0 {
		return FieldRule{}, fmt.Errorf("mask: config: %s.keep: must be >= 0", where)
	}
	return f, nil
}

// sensitiveRule is the rule for a field marked (weir.options.v1.sensitive).
func sensitiveRule(kind, action string) FieldRule {
	r := FieldRule{Action: "redact"}
	switch action {
	case "email_domain":
		r.Action = "email"
	case "last4":
		r.Action, r.Keep = "last", 4
		if kind == "card" {
			r.With = "************"
		}
	case "hmac":
		r.Action = "hmac"
	}
	return r
}

// fieldNumbers parses a protobuf path of field numbers, "3.3".
func fieldNumbers(path string) ([]uint32, error) {
	var out []uint32
	for _, seg := range strings.Split(path, ".") {
		n, err := strconv.ParseUint(seg, 10, 29)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%q: protobuf paths are field numbers, like 3.3", path)
		}
		out = append(out, uint32(n))
	}
	return out, nil
}

// maskText appends the masked form of the text s (a decoded JSON string,
// a number's or boolean's text, protobuf string bytes) to dst; with is the
// rule's With as it must appear in dst (raw, or escaped for a JSON string).
// It allocates nothing: the kept part is a piece of s and the HMAC is
// written into the masker's reused state.
func (m *masker) maskText(dst []byte, with string, r *rule, s []byte) []byte {
	dst = append(dst, with...)
	switch r.act {
	case actLast:
		return append(dst, lastRunes(s, r.Keep)...)
	case actEmail:
		if at := lastIndexByte(s, '@'); at >= 0 {
			return append(dst, s[at:]...)
		}
	case actHMAC:
		return m.appendHMAC(dst, s)
	}
	return dst
}

// appendHMAC appends the hex HMAC-SHA256 of s, from the reused state.
func (m *masker) appendHMAC(dst, s []byte) []byte {
	m.mac.Reset()
	m.mac.Write(s)
	return hex.AppendEncode(dst, m.mac.Sum(m.sum[:0]))
}

func ascii(b []byte) bool {
	var or byte
	for _, c := range b {
		or |= c
	}
	return or < utf8.RuneSelf
}

// lastRunes is the last n characters of s (each byte of invalid UTF-8
// counts as one), or all of s.
func lastRunes(s []byte, n int) []byte {
	k := len(s) - n
	if k <= 0 {
		return s
	}
	if asciiTail(s, n) {
		return s[k:] // n ASCII bytes are n characters, and more precede them
	}
	return lastRunesSlow(s, n)
}

// asciiTail reports whether the last n (at most 8) bytes of s, which has
// at least 8, are ASCII, in one load; false may also mean it cannot tell.
func asciiTail(s []byte, n int) bool {
	return n <= 8 && len(s) >= 8 && binary.LittleEndian.Uint64(s[len(s)-8:])>>(64-8*n)&0x8080808080808080 == 0
}

// lastIndexByte is bytes.LastIndexByte a word at a time: a loop of bytes
// costs a branch per byte in Go's wasm backend.
func lastIndexByte(s []byte, c byte) int {
	pat := uint64(c) * 0x0101010101010101
	k := len(s)
	for ; k >= 8; k -= 8 {
		x := binary.LittleEndian.Uint64(s[k-8:]) ^ pat
		// the high bit of each byte of x that is zero, exactly (no carry
		// crosses a byte)
		if z := ^((x&0x7f7f7f7f7f7f7f7f + 0x7f7f7f7f7f7f7f7f) | x) & 0x8080808080808080; z != 0 {
			return k - 8 + (63-bits.LeadingZeros64(z))/8
		}
	}
	for k--; k >= 0; k-- {
		if s[k] == c {
			return k
		}
	}
	return -1
}

// lastRunesSlow is lastRunes where the last n bytes may not be ASCII.
func lastRunesSlow(s []byte, n int) []byte {
	if ascii(s[len(s)-n:]) {
		return s[len(s)-n:]
	}
	if utf8.RuneCount(s) <= n {
		return s
	}
	i := len(s)
	for ; n > 0; n-- {
		_, size := utf8.DecodeLastRune(s[:i])
		i -= size
	}
	return s[i:]
}
