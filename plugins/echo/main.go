// Command echo is the smallest weir transform: it keeps every record
// unchanged. The benchmarks use it to measure the cost of the ABI itself.
package main

import weir "github.com/weirstream/weir/sdk/go"

func init() {
	weir.Handle(func(*weir.Record) error { return nil })
}

func main() {}
