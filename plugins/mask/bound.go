package main

import "fmt"

// sensitiveJSON is one field marked sensitive, by its JSON path, as the
// host lists them for a stream that projects (docs/abi.md §3).
type sensitiveJSON struct {
	Name, Kind, Action string
}

// schemaFields are the rules of schema-driven masking (no fields
// configured) on a JSON stream the host projects: every field marked
// sensitive, by JSON path, so the mask runs in JSON mode and sees only
// those values. nil where the stream does not project, or the host could
// not list the fields as paths (a recursive type, a map on the way): the
// mask then masks binary protobuf, as always.
func schemaFields(c Config) ([]FieldRule, error) {
	ws := c.WeirSchema
	if ws == nil || ws.Format != "json" || !ws.Projection || len(ws.SensitiveJSON) == 0 || c.Projection != nil && !*c.Projection {
		return nil, nil
	}
	rules := make([]FieldRule, len(ws.SensitiveJSON))
	for i, s := range ws.SensitiveJSON {
		where := fmt.Sprintf("field %s (sensitive, %s → %s)", s.Name, s.Kind, s.Action)
		f, err := compileAction(where, sensitiveRule(s.Kind, s.Action), c.HMACKey)
		if err != nil {
			return nil, err
		}
		f.Path = s.Name
		rules[i] = f
	}
	return rules, nil
}
