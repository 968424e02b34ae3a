package jsonpath_test

import (
	"fmt"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// A mask on a Set: one pass validates the record and finds every value at
// every path, the duplicated key included.
func ExampleSet_Spans() {
	set, _ := jsonpath.NewSet(jsonpath.MustCompile("customer.email"), jsonpath.MustCompile("customer.card"))
	doc := []byte(`{"customer":{"email":"a@x","card":"4822126380948868","email":"b@y"}}`)
	ms, err := set.Spans(doc, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	out := jsonpath.ReplaceMatches(nil, doc, ms, func(dst []byte, path int, raw []byte) []byte {
		return jsonpath.AppendQuote(dst, fmt.Sprintf("<masked by path %d>", path))
	})
	fmt.Println(string(out))

	_, err = set.Spans([]byte(`{"customer":{}} {"customer":{"email":"a@x"}}`), nil)
	fmt.Println(err)
	// Output:
	// {"customer":{"email":"<masked by path 0>","card":"<masked by path 1>","email":"<masked by path 0>"}}
	// invalid JSON at offset 16: unexpected data after the top-level value
}
