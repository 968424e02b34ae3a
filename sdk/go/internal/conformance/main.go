// Command conformance is the Go SDK's guest for the ABI conformance vectors
// (sdk/testdata/conformance.json). Each record's value is a command:
//
//	keep | set:TEXT | drop | error:MSG | route:P1,P2 | fanout:N
//	meta:K=V | delmeta:K | getmeta:K | panic
package main

import (
	"errors"
	"strconv"
	"strings"

	weir "github.com/weirstream/weir/sdk/go"
)

var prefix string

func init() {
	weir.OnInit(func(config []byte) error {
		if string(config) == "fail" {
			return errors.New("config says fail")
		}
		prefix = string(config)
		return nil
	})
	weir.Handle(run)
}

func run(r *weir.Record) error {
	verb, arg, _ := strings.Cut(string(r.Value()), ":")
	switch verb {
	case "keep":
	case "set":
		r.SetValue([]byte(prefix + arg))
	case "drop":
		r.Drop()
	case "error":
		return errors.New(arg)
	case "route":
		r.Route(strings.Split(arg, ",")...)
	case "fanout":
		n, _ := strconv.Atoi(arg)
		for i := 0; i < n; i++ {
			r.Emit([]byte(strconv.Itoa(i)))
		}
	case "meta":
		k, v, _ := strings.Cut(arg, "=")
		r.SetMeta(k, v)
	case "delmeta":
		r.DeleteMeta(arg)
	case "getmeta":
		v, ok := r.Meta(arg)
		r.SetValue([]byte(strconv.FormatBool(ok) + ":" + v))
	case "panic":
		panic("asked to panic")
	default:
		return errors.New("unknown command " + verb)
	}
	return nil
}

func main() {}
