package main

import (
	"fmt"
	"log"

	"github.com/weirstream/weir/internal/testpg"
)

// startPostgres starts (initialising on first use) the cluster in dir on
// the loopback port; the returned func stops it, keeping its data.
func startPostgres(dir string, port int) func() {
	c, err := testpg.Open(dir, port)
	if err != nil {
		log.Fatalf("weir-devbroker: postgres: %v", err)
	}
	fmt.Printf("postgres listening on 127.0.0.1:%d (trust for postgres, password for %s; data in %s)\n", port, testpg.User, c.Dir())
	return c.Stop
}
