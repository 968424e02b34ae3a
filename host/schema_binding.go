package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/schema"
)

// Field names of the wasm processor's schema block.
const (
	fieldSchema         = "schema"
	fieldProtoFiles     = "proto_files"
	fieldImportPaths    = "import_paths"
	fieldInputType      = "input"
	fieldOutputType     = "output"
	fieldFormat         = "format"
	fieldMaxMessageSize = "max_message_bytes"
	fieldMaxDepth       = "max_depth"
)

func schemaField() *service.ConfigField {
	return service.NewObjectField(fieldSchema,
		service.NewStringListField(fieldProtoFiles).Description("Proto files defining the stream's types, compiled at start-up (no protoc)."),
		service.NewStringListField(fieldImportPaths).Description("Directories to resolve proto files and their imports. Well-known types, `buf/validate/validate.proto` and `weir/options/v1/options.proto` are built in.").Default([]any{"."}),
		service.NewStringField(fieldInputType).Description("Full name of the message type flowing in, e.g. `shop.v1.Order`."),
		service.NewStringField(fieldOutputType).Description("Full name of the message type flowing out (default: the input type).").Default(""),
		service.NewStringEnumField(fieldFormat, "json", "protobuf").Description("Wire format of the stream's messages. The guest receives binary protobuf, except on a JSON stream whose output type is its input type and whose guest declares field paths: then it receives the JSON values at them (docs/schemas.md, \"Projected JSON streams\").").Default("json"),
		service.NewIntField(fieldMaxMessageSize).Description("Largest record accepted, in bytes.").Default(4<<20).Advanced(),
		service.NewIntField(fieldMaxDepth).Description("Deepest message nesting accepted.").Default(64).Advanced(),
	).Description(`Binds the transform to protobuf types. Each record is decoded and validated (buf.validate rules) before the guest sees it; the guest's output is validated against the output type and encoded back (on a projected JSON stream, each record is validated where it lies and only the values the guest replaces are checked). Failures are per-record, with class ` + "`bad_input`" + ` or ` + "`schema_violation`" + ` and the field path. At load, the module's declared types must be wire-compatible with these (docs/schemas.md), or it is refused with the list of what breaks.`).Optional()
}

// binding converts and checks records for a schema-bound transform.
type binding struct {
	in, out *schema.Codec
	json    bool
}

// schemaHints is added to a bound transform's JSON-object config as
// "weir_schema", so type-agnostic guests can act on the schema (the mask
// masks every field marked (weir.options.v1.sensitive)). docs/abi.md §3.
type schemaHints struct {
	Input  string `json:"input"`
	Output string `json:"output"`
	// Format is the stream's: "json" or "protobuf".
	Format string `json:"format"`
	// Projection: a guest that declares JSON paths (docs/abi.md §4b) gets
	// the record's JSON values at them; one that does not gets binary
	// protobuf, as always when false.
	Projection bool `json:"projection"`
	// SensitiveJSON, where the stream projects, lists Sensitive by JSON
	// path ("items.*.name"), when paths reach them all.
	SensitiveJSON []schema.Sensitive `json:"sensitive_json,omitempty"`
	Sensitive     []schema.Sensitive `json:"sensitive,omitempty"`
	// Messages is the input type's shape and its nested types': with it
	// the mask tells unknown fields from known ones at every depth.
	Messages map[string]schema.MessageShape `json:"messages"`
}

// withHints merges the hints into config when it is empty or a JSON
// object; any other config is passed unchanged.
func (b *binding) withHints(config []byte) ([]byte, error) {
	obj := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(config)) > 0 {
		if err := json.Unmarshal(config, &obj); err != nil {
			return config, nil // not an object: the guest gets its config as written
		}
	}
	var byPath []schema.Sensitive
	if b.projects() {
		if fields, ok := schema.SensitiveJSON(b.in.Type); ok {
			byPath = fields
		}
	}
	hints, err := json.Marshal(schemaHints{
		SensitiveJSON: byPath,
		Input:         string(b.in.Type.FullName()),
		Output:        string(b.out.Type.FullName()),
		Format:        map[bool]string{true: "json", false: "protobuf"}[b.json],
		Projection:    b.projects(),
		Sensitive:     schema.SensitiveFields(b.in.Type),
		Messages:      schema.Shapes(b.in.Type),
	})
	if err != nil {
		return nil, err
	}
	obj["weir_schema"] = hints
	return json.Marshal(obj)
}

func parseBinding(conf *service.ParsedConfig) (*binding, error) {
	if !conf.Contains(fieldSchema) {
		return nil, nil
	}
	c := conf.Namespace(fieldSchema)
	files, err := c.FieldStringList(fieldProtoFiles)
	if err != nil {
		return nil, err
	}
	paths, err := c.FieldStringList(fieldImportPaths)
	if err != nil {
		return nil, err
	}
	set, err := schema.Compile(context.Background(), paths, files...)
	if err != nil {
		return nil, fmt.Errorf("field %s.%s: %w", fieldSchema, fieldProtoFiles, err)
	}
	var limits schema.Limits
	if limits.MaxBytes, err = c.FieldInt(fieldMaxMessageSize); err != nil {
		return nil, err
	}
	if limits.MaxDepth, err = c.FieldInt(fieldMaxDepth); err != nil {
		return nil, err
	}
	b := &binding{}
	in, err := c.FieldString(fieldInputType)
	if err != nil {
		return nil, err
	}
	out, err := c.FieldString(fieldOutputType)
	if err != nil {
		return nil, err
	}
	if out == "" {
		out = in
	}
	if b.in, err = codec(set, in, limits); err != nil {
		return nil, fmt.Errorf("field %s.%s: %w", fieldSchema, fieldInputType, err)
	}
	if b.out, err = codec(set, out, limits); err != nil {
		return nil, fmt.Errorf("field %s.%s: %w", fieldSchema, fieldOutputType, err)
	}
	format, err := c.FieldString(fieldFormat)
	b.json = format == "json"
	return b, err
}

func codec(set *schema.Set, name string, limits schema.Limits) (*schema.Codec, error) {
	md, err := set.Message(name)
	if err != nil {
		return nil, err
	}
	return schema.NewCodec(md, limits)
}

// checkModule is the contract check: the module must declare types, read
// what the pipeline sends and write what the pipeline expects.
func (b *binding) checkModule(mod *runtime.Module) error {
	man := mod.Manifest
	switch man.Input {
	case "":
		return fmt.Errorf("transform %s declares no input type, but the pipeline is bound to %s (a type-agnostic transform declares input %q)", man.ID(), b.in.Type.FullName(), runtime.AnyType)
	case runtime.AnyType:
		return nil // it reads and writes whatever is bound; its output is still validated
	}
	fds := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(mod.Schema, fds); err != nil {
		return fmt.Errorf("transform %s: %s section: %w", man.ID(), runtime.SchemaSection, err)
	}
	set, err := schema.FromDescriptorSet(fds)
	if err != nil {
		return fmt.Errorf("transform %s: %w", man.ID(), err)
	}
	modIn, err := set.Message(man.Input)
	if err != nil {
		return fmt.Errorf("transform %s: %w", man.ID(), err)
	}
	modOut, err := set.Message(man.OutputType())
	if err != nil {
		return fmt.Errorf("transform %s: %w", man.ID(), err)
	}
	var problems []string
	if breaks := schema.Check(b.in.Type, modIn); len(breaks) > 0 {
		problems = append(problems, fmt.Sprintf("input: the pipeline sends %s, the transform reads %s:\n%s", b.in.Type.FullName(), modIn.FullName(), indent(breaks)))
	}
	if breaks := schema.Check(modOut, b.out.Type); len(breaks) > 0 {
		problems = append(problems, fmt.Sprintf("output: the transform writes %s, the pipeline expects %s:\n%s", modOut.FullName(), b.out.Type.FullName(), indent(breaks)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("transform %s (%s) is incompatible with the pipeline's schema:\n%s", man.ID(), mod.Digest, strings.Join(problems, "\n"))
	}
	return nil
}

func indent(bs schema.Breaks) string {
	lines := make([]string, len(bs))
	for i, b := range bs {
		lines[i] = "  - " + b.String()
	}
	return strings.Join(lines, "\n")
}

// toGuest decodes a stream record and validates it: the guest gets binary
// protobuf of the input type, or the record fails here. A protobuf stream
// is validated where it lies, without building a message.
func (b *binding) toGuest(raw []byte) ([]byte, error) {
	if b.json {
		return b.in.JSONToBinary(raw)
	}
	if err := b.in.CheckBinary(raw); err != nil {
		return nil, err
	}
	return raw, nil // already binary, and valid
}

// fromGuest validates a rewritten value against the output type and
// encodes it in the stream's format.
func (b *binding) fromGuest(bin []byte) ([]byte, error) {
	var out []byte
	var err error
	if b.json {
		out, err = b.out.BinaryToJSON(bin)
	} else {
		out, err = bin, b.out.CheckBinary(bin)
	}
	if err != nil {
		return nil, guestWrote(err)
	}
	return out, nil
}
