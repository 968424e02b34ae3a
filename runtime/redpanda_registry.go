package runtime

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// redpandaRegistryFuncs are the functions of the redpanda_schema_registry
// module (the SDK's transform/sr), with their signatures.
var redpandaRegistryFuncs = map[string]wasmbin.FuncType{
	"check_abi_version_0":       {},
	"get_schema_definition_len": {Params: repeat(wasmbin.ValI32, 2), Results: i32},
	"get_schema_definition":     {Params: repeat(wasmbin.ValI32, 3), Results: i32},
	"get_subject_schema_len":    {Params: repeat(wasmbin.ValI32, 4), Results: i32},
	"get_subject_schema":        {Params: repeat(wasmbin.ValI32, 5), Results: i32},
	"create_subject_schema":     {Params: repeat(wasmbin.ValI32, 5), Results: i32},
}

// Bounds of the schemas a Redpanda transform's config serves.
const (
	maxRegistrySchemas = 1024
	maxRegistryBytes   = 4 << 20
)

// redpandaSchema is one schema the redpanda_schema_registry module serves.
type redpandaSchema struct {
	Subject    string                    `json:"subject"`
	Version    int32                     `json:"version"` // default 1
	ID         int32                     `json:"id"`      // the global ID, > 0, unique
	Type       string                    `json:"type"`    // avro, protobuf (default) or json
	Schema     string                    `json:"schema"`
	References []redpandaSchemaReference `json:"references"`
}

type redpandaSchemaReference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int32  `json:"version"`
}

var schemaTypes = map[string]int64{"avro": 0, "protobuf": 1, "json": 2}

// redpandaRegistry is a read-only schema registry: the definitions by ID
// and the subjects' versions, encoded once as the SDK decodes them.
type redpandaRegistry struct {
	byID      map[int32][]byte
	bySubject map[string][]registryVersion // ascending versions
}

type registryVersion struct {
	version int32
	encoded []byte // id, version, definition
}

func newRedpandaRegistry(transform string, schemas []redpandaSchema) (*redpandaRegistry, error) {
	if len(schemas) > maxRegistrySchemas {
		return nil, redpandaConfigError(transform, "schema_registry: %d schemas, over the cap of %d", len(schemas), maxRegistrySchemas)
	}
	r := &redpandaRegistry{byID: map[int32][]byte{}, bySubject: map[string][]registryVersion{}}
	size := 0
	for i, s := range schemas {
		def, err := encodeSchemaDef(s)
		if err != nil {
			return nil, redpandaConfigError(transform, "schema_registry[%d]: %v", i, err)
		}
		if size += len(def); size > maxRegistryBytes {
			return nil, redpandaConfigError(transform, "schema_registry: over the cap of %d bytes of schemas", maxRegistryBytes)
		}
		if err := r.add(s, def); err != nil {
			return nil, redpandaConfigError(transform, "schema_registry[%d]: %v", i, err)
		}
	}
	for _, vs := range r.bySubject {
		sort.Slice(vs, func(i, j int) bool { return vs[i].version < vs[j].version })
	}
	return r, nil
}

func (r *redpandaRegistry) add(s redpandaSchema, def []byte) error {
	if s.Version == 0 {
		s.Version = 1
	}
	switch {
	case s.ID <= 0 || s.Version < 0:
		return fmt.Errorf("id must be > 0 and version >= 1 (default 1), got id %d, version %d", s.ID, s.Version)
	case s.Subject == "":
		return fmt.Errorf("schema %d has no subject", s.ID)
	case r.byID[s.ID] != nil:
		return fmt.Errorf("id %d is given twice", s.ID)
	}
	for _, v := range r.bySubject[s.Subject] {
		if v.version == s.Version {
			return fmt.Errorf("subject %q has version %d twice", s.Subject, s.Version)
		}
	}
	r.byID[s.ID] = def
	enc := binary.AppendVarint(binary.AppendVarint(nil, int64(s.ID)), int64(s.Version))
	r.bySubject[s.Subject] = append(r.bySubject[s.Subject], registryVersion{s.Version, append(enc, def...)})
	return nil
}

// encodeSchemaDef is a schema definition as the SDK reads it: type,
// schema text, references (each name, subject, version), varint-sized.
func encodeSchemaDef(s redpandaSchema) ([]byte, error) {
	if s.Type == "" {
		s.Type = "protobuf"
	}
	t, ok := schemaTypes[s.Type]
	if !ok {
		return nil, fmt.Errorf("type %q: want avro, protobuf or json", s.Type)
	}
	b := binary.AppendVarint(nil, t)
	b = appendSized(b, s.Schema)
	b = binary.AppendVarint(b, int64(len(s.References)))
	for _, ref := range s.References {
		b = appendSized(appendSized(b, ref.Name), ref.Subject)
		b = binary.AppendVarint(b, int64(ref.Version))
	}
	return b, nil
}

func appendSized(b []byte, s string) []byte {
	return append(binary.AppendVarint(b, int64(len(s))), s...)
}

// subject is a subject's version, -1 the latest.
func (r *redpandaRegistry) subject(name []byte, version int32) []byte {
	vs := r.bySubject[string(name)]
	if len(vs) == 0 {
		return nil
	}
	if version == -1 {
		return vs[len(vs)-1].encoded
	}
	for _, v := range vs {
		if v.version == version {
			return v.encoded
		}
	}
	return nil
}

// Results of the schema registry functions, as Redpanda's broker gives
// them: 0 (or the bytes written) on success.
const (
	registryNotFound = -1 // no such ID, subject or version
	registryTooSmall = -2 // the guest's buffer is smaller than the schema
	registryReadOnly = -3 // create_subject_schema: weir serves the config's schemas only
)

// The functions of redpanda_schema_registry. The schemas are the config's
// (redpandaConfig.SchemaRegistry); every pointer and length is checked
// as redpanda_transform's are.
var registryFuncs = map[string]redpandaFunc{
	"check_abi_version_0": func(*redpandaGuest, api.Memory, []uint64) {},
	"get_schema_definition_len": func(g *redpandaGuest, mem api.Memory, stack []uint64) {
		putLen(mem, "get_schema_definition_len", 1, stack, g.config.registry.byID[api.DecodeI32(stack[0])], uint32(stack[1]))
	},
	"get_schema_definition": func(g *redpandaGuest, mem api.Memory, stack []uint64) {
		putSchema(mem, "get_schema_definition", stack, g.config.registry.byID[api.DecodeI32(stack[0])], uint32(stack[1]), api.DecodeI32(stack[2]))
	},
	"get_subject_schema_len": func(g *redpandaGuest, mem api.Memory, stack []uint64) {
		subject := guestBytes(mem, "get_subject_schema_len", uint32(stack[0]), api.DecodeI32(stack[1]))
		putLen(mem, "get_subject_schema_len", 3, stack, g.config.registry.subject(subject, api.DecodeI32(stack[2])), uint32(stack[3]))
	},
	"get_subject_schema": func(g *redpandaGuest, mem api.Memory, stack []uint64) {
		subject := guestBytes(mem, "get_subject_schema", uint32(stack[0]), api.DecodeI32(stack[1]))
		putSchema(mem, "get_subject_schema", stack, g.config.registry.subject(subject, api.DecodeI32(stack[2])), uint32(stack[3]), api.DecodeI32(stack[4]))
	},
	"create_subject_schema": func(_ *redpandaGuest, _ api.Memory, stack []uint64) {
		stack[0] = api.EncodeI32(registryReadOnly)
	},
}

// putLen writes len(found) as an i32 at ptr and returns 0, or returns
// registryNotFound.
func putLen(mem api.Memory, fn string, arg int, stack []uint64, found []byte, ptr uint32) {
	if found == nil {
		stack[0] = api.EncodeI32(registryNotFound)
		return
	}
	putInt(mem, fn, arg, ptr, 4, int64(len(found)))
	stack[0] = api.EncodeI32(0)
}

// putSchema copies found into the guest's buffer [ptr, ptr+n) and returns
// its length.
func putSchema(mem api.Memory, fn string, stack []uint64, found []byte, ptr uint32, n int32) {
	switch {
	case found == nil:
		stack[0] = api.EncodeI32(registryNotFound)
	case int(n) < len(found):
		stack[0] = api.EncodeI32(registryTooSmall)
	default:
		copy(guestBytes(mem, fn, ptr, int32(len(found))), found)
		stack[0] = api.EncodeI32(int32(len(found)))
	}
}
