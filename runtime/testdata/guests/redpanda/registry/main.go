// Command registry is a Redpanda transform (its SDK, unmodified) that
// looks schemas up in the schema registry through transform/sr: a record
// "id:N" becomes the schema of global ID N, "subject:S:V" the schema of
// subject S at version V (-1 the latest) prefixed with its id and
// version, and "create:S" what creating a schema under S answers.
package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/redpanda-data/redpanda/src/transform-sdk/go/transform"
	"github.com/redpanda-data/redpanda/src/transform-sdk/go/transform/sr"
)

var client sr.SchemaRegistryClient

func main() {
	client = sr.NewClient(sr.MaxCacheEntries(0))
	transform.OnRecordWritten(lookup)
}

func lookup(e transform.WriteEvent, w transform.RecordWriter) error {
	kind, arg, _ := strings.Cut(string(e.Record().Value), ":")
	var out string
	switch kind {
	case "id":
		id, _ := strconv.Atoi(arg)
		s, err := client.LookupSchemaById(id)
		out = describe(s, err)
	case "subject":
		subject, v, _ := strings.Cut(arg, ":")
		version, _ := strconv.Atoi(v)
		s, err := client.LookupSchemaByVersion(subject, version)
		if err == nil {
			out = fmt.Sprintf("%d@%d ", s.ID, s.Version) + describe(&s.Schema, nil)
		} else {
			out = describe(nil, err)
		}
	case "create":
		_, err := client.CreateSchema(arg, sr.Schema{Schema: "{}", Type: sr.TypeJSON})
		out = describe(nil, err)
	}
	return w.Write(transform.Record{Value: []byte(out)})
}

func describe(s *sr.Schema, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	out := fmt.Sprintf("type %d: %s", s.Type, s.Schema)
	for _, r := range s.References {
		out += fmt.Sprintf(" ref %s=%s@%d", r.Name, r.Subject, r.Version)
	}
	return out
}
