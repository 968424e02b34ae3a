// Command httpfetch is a test guest of the http capability: each record
// holds URLs, one a line; the guest fetches them all in one host call and
// replaces the record with one line per answer: code, status, body (or
// the error, which it also logs).
package main

import (
	"bytes"
	"strconv"

	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/http"
)

func init() {
	weir.Handle(func(r *weir.Record) error {
		var reqs []http.Request
		for _, line := range bytes.Split(r.Value(), []byte("\n")) {
			if len(line) > 0 {
				reqs = append(reqs, http.Request{URL: string(line), Header: []http.Header{{Name: "X-Record", Value: "1"}}})
			}
		}
		results, err := http.FetchMany(reqs)
		if err != nil {
			return err
		}
		var out []byte
		for _, res := range results {
			out = append(out, res.Code.String()...)
			out = append(out, ' ')
			out = strconv.AppendInt(out, int64(res.Status), 10)
			out = append(out, ' ')
			if res.Code == http.OK {
				out = append(out, res.Body...)
			} else {
				out = append(out, res.Err...)
				weir.Log(weir.LevelWarn, "fetch failed: "+res.Err)
			}
			out = append(out, '\n')
		}
		r.SetValue(out)
		return nil
	})
}

func main() {}
