// Command ledger checks a deployment's delivery end to end (docs/deploy.md):
//
//	ledger write -brokers host:9092 -topic orders -n 100000
//	... let weir (kafka in → mask → kafka out, errors to a dead-letter topic) run ...
//	ledger check -brokers host:9092 -out orders-masked -dlq orders-dlq -n 100000
//
// check exits 1 if a record is missing or misplaced; duplicates and per-key
// inversions are reported (at-least-once allows duplicates).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/bench/ledger"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", err)
		os.Exit(1)
	}
}

// errLoss is returned by check when records are missing or misplaced.
var errLoss = errors.New("records missing or misplaced")

func run(ctx context.Context, args []string, w io.Writer) error {
	if len(args) == 0 || (args[0] != "write" && args[0] != "check") {
		return errors.New("usage: ledger write|check [flags] (ledger write -h)")
	}
	fs := flag.NewFlagSet("ledger "+args[0], flag.ContinueOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "comma-separated seed brokers")
	n := fs.Int("n", 100_000, "records written / expected")
	topic := fs.String("topic", "orders", "write: topic to write into")
	keys := fs.Int("keys", 50, "write: distinct keys")
	out := fs.String("out", "orders-masked", "check: output topic")
	dlq := fs.String("dlq", "orders-dlq", "check: dead-letter topic")
	idle := fs.Duration("idle", time.Minute, "check: give up after this long without a new record")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(strings.Split(*brokers, ",")...)}
	if args[0] == "check" {
		opts = append(opts, kgo.ConsumeTopics(*out, *dlq), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if args[0] == "write" {
		if err := ledger.Write(ctx, cl, *topic, *n, *keys); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %d records (%d keys, every tenth not JSON) to %s\n", *n, *keys, *topic)
		return nil
	}
	rep, err := ledger.Check(ctx, cl, *out, *dlq, *n, *idle)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, rep)
	if rep.Missing > 0 || rep.Misplaced > 0 {
		return fmt.Errorf("%w (first missing: %v)", errLoss, rep.FirstMissing)
	}
	return nil
}
