// Command weir-devbroker runs the brokers weir's tests use, on loopback, for
// the examples: a Kafka protocol implementation (franz-go's kfake) and an
// embedded NATS server with JetStream. Development only: nothing persists.
//
//	weir-devbroker -kafka 127.0.0.1:19092 -kafka-topics orders,orders-masked,orders-dlq \
//	               -nats 127.0.0.1:14222 -nats-stream ORDERS:orders.> \
//	               -registry 127.0.0.1:15000 -postgres 15432 -postgres-dir build/pg
//
// -registry runs an OCI distribution registry (in memory) for the hot-swap
// example; -postgres a real PostgreSQL cluster (the Debian package's
// binaries, wal_level=logical) for the CDC example.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/weirstream/weir/internal/testregistry"
)

func main() {
	kafkaAddr := flag.String("kafka", "", "listen address of the Kafka broker (empty: none)")
	topics := flag.String("kafka-topics", "", "comma-separated topics to create")
	partitions := flag.Int("kafka-partitions", 3, "partitions per topic")
	natsAddr := flag.String("nats", "", "listen address of the NATS server (empty: none)")
	stream := flag.String("nats-stream", "", "NAME:SUBJECT to create a JetStream stream")
	registryAddr := flag.String("registry", "", "listen address of an OCI registry (empty: none)")
	pgPort := flag.Int("postgres", 0, "loopback port of a PostgreSQL cluster with wal_level=logical (0: none)")
	pgDir := flag.String("postgres-dir", "build/pg", "directory of the PostgreSQL cluster (initialised if empty; kept)")
	flag.Parse()
	if *kafkaAddr == "" && *natsAddr == "" && *registryAddr == "" && *pgPort == 0 {
		log.Fatal("weir-devbroker: give -kafka, -nats, -registry and/or -postgres")
	}
	if *pgPort != 0 {
		defer startPostgres(*pgDir, *pgPort)()
	}
	if *registryAddr != "" {
		srv, err := testregistry.Listen(*registryAddr)
		if err != nil {
			log.Fatalf("weir-devbroker: registry: %v", err)
		}
		fmt.Printf("OCI registry listening on %s\n", srv.Host)
		defer srv.Close()
	}
	if *kafkaAddr != "" {
		stop := startKafka(*kafkaAddr, *topics, int32(*partitions))
		defer stop()
	}
	if *natsAddr != "" {
		stop := startNATS(*natsAddr, *stream)
		defer stop()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

func startKafka(addr, topics string, partitions int32) func() {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		log.Fatalf("weir-devbroker: -kafka %q: %v", addr, err)
	}
	p, _ := strconv.Atoi(port)
	var names []string
	for _, t := range strings.Split(topics, ",") {
		if t = strings.TrimSpace(t); t != "" {
			names = append(names, t)
		}
	}
	c, err := kfake.NewCluster(kfake.Ports(p), kfake.SeedTopics(partitions, names...))
	if err != nil {
		log.Fatalf("weir-devbroker: kafka: %v", err)
	}
	fmt.Printf("kafka listening on %s (topics %s)\n", strings.Join(c.ListenAddrs(), ","), topics)
	return c.Close
}

func startNATS(addr, stream string) func() {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		log.Fatalf("weir-devbroker: -nats %q: %v", addr, err)
	}
	p, _ := strconv.Atoi(port)
	dir, err := os.MkdirTemp("", "weir-devbroker-nats-")
	if err != nil {
		log.Fatal(err)
	}
	s, err := server.NewServer(&server.Options{Host: host, Port: p, JetStream: true, StoreDir: dir, NoSigs: true})
	if err != nil {
		log.Fatalf("weir-devbroker: nats: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		log.Fatal("weir-devbroker: nats did not start")
	}
	if name, subject, ok := strings.Cut(stream, ":"); ok {
		nc, err := nats.Connect(s.ClientURL())
		if err != nil {
			log.Fatal(err)
		}
		js, _ := jetstream.New(nc)
		if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: []string{subject}}); err != nil {
			log.Fatalf("weir-devbroker: stream %s: %v", stream, err)
		}
		nc.Close()
	}
	fmt.Printf("nats listening on %s (stream %s)\n", s.ClientURL(), stream)
	return func() { s.Shutdown(); os.RemoveAll(dir) }
}
