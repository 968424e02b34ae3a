package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// A manifest's config_schema is a JSON Schema (draft 2020-12 unless it
// names another in $schema) that the config blob of every pool must meet.
// It is compiled at admission, so a module with a broken schema never
// loads; it may not refer to anything outside itself: the module comes
// from elsewhere, and a "$ref": "file:///…" would have the host read its
// files (docs/RATIONALE.md, "Why is a config checked against the
// module's schema?").

// configSchemaURL names the schema inside the compiler: nothing is ever
// loaded from it.
const configSchemaURL = "urn:weir:manifest:config_schema"

// maxConfigProblems bounds how many of a config's problems an error lists.
const maxConfigProblems = 8

var problemPrinter = message.NewPrinter(language.English)

// noLoader refuses every external reference of a config schema.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("refers to %q: a config_schema may not refer outside itself", url)
}

// compileConfigSchema compiles man's config_schema; nil when it has none.
func compileConfigSchema(man Manifest) (*jsonschema.Schema, error) {
	if len(man.ConfigSchema) == 0 {
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(man.ConfigSchema))
	if err != nil {
		return nil, fmt.Errorf("manifest %q: config_schema: %w", man.ID(), err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource(configSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("manifest %q: config_schema: %w", man.ID(), err)
	}
	s, err := c.Compile(configSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("manifest %q: config_schema: %w", man.ID(), err)
	}
	return s, nil
}

// checkConfig validates a pool's config blob against the module's
// config_schema. An empty config is checked as {}: a schema requiring a
// field refuses a pipeline that gives none.
func (m *Module) checkConfig(config []byte) error {
	if m.configSchema == nil {
		return nil
	}
	if len(bytes.TrimSpace(config)) == 0 {
		config = []byte("{}")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(config))
	if err != nil {
		return m.configError(fmt.Sprintf("config is not JSON: %v", err))
	}
	err = m.configSchema.Validate(doc)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return m.configError(strings.Join(configProblems(ve, nil), "; "))
	}
	return err
}

func (m *Module) configError(msg string) *Error {
	return &Error{Class: ClassConfig, Transform: m.Manifest.ID(), Msg: "config does not meet the module's config_schema: " + msg}
}

// configProblems lists ve's leaf problems, each naming its field, at most
// maxConfigProblems.
func configProblems(ve *jsonschema.ValidationError, into []string) []string {
	if len(ve.Causes) == 0 {
		if len(into) == maxConfigProblems {
			return append(into, "…")
		}
		if len(into) > maxConfigProblems {
			return into
		}
		return append(into, fmt.Sprintf("field %s: %s", fieldName(ve.InstanceLocation), ve.ErrorKind.LocalizedString(problemPrinter)))
	}
	for _, c := range ve.Causes {
		into = configProblems(c, into)
	}
	return into
}

// fieldName is a location in the config as a dot path, quoted.
func fieldName(loc []string) string {
	if len(loc) == 0 {
		return "(the config itself)"
	}
	b, _ := json.Marshal(strings.Join(loc, "."))
	return string(b)
}
