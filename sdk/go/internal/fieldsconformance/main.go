// Command fieldsconformance is the Go SDK's guest for the projection
// conformance vectors (sdk/testdata/projection.json). Its config is
// {"paths": [...]}: it declares those paths, and each string field it
// receives is a command, obeyed in field order:
//
//	keep | set:TEXT | json:RAW | drop | error:MSG | route:P1,P2
//	meta:K=V | getmeta:K | type | fanout:N
//
// Fields of other types get no replacement. With "insert": [indices]
// (the insertion vectors, sdk/testdata/insertion.json) those paths are
// insertion paths, and every field of type absent obeys the config's
// "absent" command.
package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/jsonpath"
)

func init() {
	weir.OnInit(func(config []byte) error {
		paths, err := configPaths(config)
		if err != nil {
			return err
		}
		if err := weir.Project(paths...); err != nil {
			return err
		}
		return configInsert(config)
	})
	weir.HandleFields(run)
}

// configPaths reads the strings of config's "paths" array.
func configPaths(config []byte) ([]string, error) {
	var paths []string
	var bad error
	err := jsonpath.MustCompile("paths.*").Each(config, func(start, end int) {
		p, ok := jsonpath.Unquote(config[start:end])
		if !ok && bad == nil {
			bad = fmt.Errorf("config: paths: %s is not a string", config[start:end])
		}
		paths = append(paths, p)
	})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return paths, bad
}

// absent is the command fields of type absent obey ("": none).
var absent string

// configInsert declares the config's "insert" indices as insertion paths
// and keeps its "absent" command.
func configInsert(config []byte) error {
	raw, found, err := jsonpath.MustCompile("insert").Get(config)
	if err != nil || !found {
		return err
	}
	var idx []int
	err = jsonpath.MustCompile("*").Each(raw, func(start, end int) {
		n, _ := strconv.Atoi(string(raw[start:end]))
		idx = append(idx, n)
	})
	if err != nil {
		return err
	}
	if cmd, ok, _ := jsonpath.MustCompile("absent").Get(config); ok {
		absent, _ = jsonpath.Unquote(cmd)
	}
	return weir.Insertable(idx...)
}

func run(r *weir.Fields) error {
	for i := range r.Len() {
		if r.Type(i) == weir.TypeAbsent && absent != "" {
			if err := obey(r, i, absent); err != nil {
				return err
			}
			continue
		}
		if r.Type(i) != weir.TypeString {
			continue
		}
		if err := obey(r, i, string(r.Value(i))); err != nil {
			return err
		}
	}
	return nil
}

func obey(r *weir.Fields, i int, cmd string) error {
	verb, arg, _ := strings.Cut(cmd, ":")
	switch verb {
	case "keep":
	case "set":
		r.SetString(i, arg)
	case "json":
		return r.SetJSON(i, []byte(arg))
	case "drop":
		r.Drop()
	case "error":
		return errors.New(arg)
	case "route":
		r.Route(strings.Split(arg, ",")...)
	case "meta":
		k, v, _ := strings.Cut(arg, "=")
		r.SetMeta(k, v)
	case "getmeta":
		v, ok := r.Meta(arg)
		if !ok {
			v = "<none>"
		}
		r.SetString(i, v)
	case "type":
		r.SetString(i, strconv.Itoa(int(r.Type(i))))
	case "fanout":
		n, _ := strconv.Atoi(arg)
		for c := range n {
			r.SetString(i, strconv.Itoa(c))
			r.Emit()
		}
	default:
		return errors.New("unknown command " + verb)
	}
	return nil
}

func main() {}
