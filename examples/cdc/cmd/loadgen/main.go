// Command loadgen writes the CDC example's changes into PostgreSQL
// (package loadgen says what each phase writes).
//
//	loadgen -dsn postgres://postgres@127.0.0.1:15432/postgres -seed
//	loadgen -dsn … -live -wait-slot weir
package main

import (
	"context"
	"flag"
	"log"

	"github.com/weirstream/weir/examples/cdc/loadgen"
)

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:15432/postgres?sslmode=disable", "database to write to")
	seed := flag.Bool("seed", false, "create the schema and the first rows")
	live := flag.Bool("live", false, "write the changes weir streams")
	slot := flag.String("wait-slot", "", "with -live: wait until a client streams from this replication slot")
	flag.Parse()
	ctx := context.Background()
	conn, err := loadgen.Connect(ctx, *dsn)
	if err != nil {
		log.Fatalf("loadgen: %v", err)
	}
	defer conn.Close(ctx)
	if *seed {
		must(loadgen.Seed(ctx, conn))
	}
	if *live {
		if *slot != "" {
			must(loadgen.WaitSlot(ctx, conn, *slot))
		}
		must(loadgen.Live(ctx, conn))
	}
}

func must(err error) {
	if err != nil {
		log.Fatalf("loadgen: %v", err)
	}
}
