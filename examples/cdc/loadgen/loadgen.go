// Package loadgen writes the CDC example's changes into PostgreSQL: Seed
// creates the schema (schema.sql) and the first customers and orders,
// which weir's snapshot reads; Live, once weir streams from the slot,
// inserts more, updates and deletes some, and writes one legacy order
// whose card is an object the mask refuses (it goes to cdc.dlq). The
// constants are what each phase writes; the example test checks them.
package loadgen

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed schema.sql
var schema string

// Counts of what each phase writes.
const (
	SeedCustomers = 20
	SeedOrders    = 60
	LiveCustomers = 10
	LiveOrders    = 40 // of which one legacy
	LiveUpdates   = 30 // orders shipped
	LiveDeletes   = 5  // orders cancelled
)

// Connect waits for the server (make run-cdc starts it alongside).
func Connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Seed creates the schema and the first rows.
func Seed(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if err := customers(ctx, conn, 1, SeedCustomers); err != nil {
		return err
	}
	if err := orders(ctx, conn, 1, SeedOrders, SeedCustomers); err != nil {
		return err
	}
	fmt.Printf("seeded %d customers, %d orders\n", SeedCustomers, SeedOrders)
	return nil
}

// Live writes the changes weir streams.
func Live(ctx context.Context, conn *pgx.Conn) error {
	if err := customers(ctx, conn, SeedCustomers+1, LiveCustomers); err != nil {
		return err
	}
	if err := orders(ctx, conn, SeedOrders+1, LiveOrders-1, SeedCustomers+LiveCustomers); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, `INSERT INTO orders (customer_id, total, payment) VALUES (1, 9.99, '{"card": {"number": "4111111111111111"}}')`)
	if err != nil {
		return fmt.Errorf("legacy order: %w", err)
	}
	if _, err := conn.Exec(ctx, "UPDATE orders SET status = 'shipped' WHERE id <= $1", LiveUpdates); err != nil {
		return fmt.Errorf("updates: %w", err)
	}
	if _, err := conn.Exec(ctx, "DELETE FROM orders WHERE id > $1 AND id <= $2", LiveUpdates, LiveUpdates+LiveDeletes); err != nil {
		return fmt.Errorf("deletes: %w", err)
	}
	fmt.Printf("live: %d customers and %d orders inserted (1 legacy), %d orders updated, %d deleted\n",
		LiveCustomers, LiveOrders, LiveUpdates, LiveDeletes)
	return nil
}

func customers(ctx context.Context, conn *pgx.Conn, from, n int) error {
	for i := from; i < from+n; i++ {
		_, err := conn.Exec(ctx, "INSERT INTO customers (name, email, phone) VALUES ($1, $2, $3)",
			fmt.Sprintf("Customer %d", i), fmt.Sprintf("customer%d@example.com", i), fmt.Sprintf("+1-555-%07d", i))
		if err != nil {
			return fmt.Errorf("customer %d: %w", i, err)
		}
	}
	return nil
}

func orders(ctx context.Context, conn *pgx.Conn, from, n, customers int) error {
	for i := from; i < from+n; i++ {
		payment := fmt.Sprintf(`{"method": "card", "card": "4111 1111 1111 %04d"}`, i)
		_, err := conn.Exec(ctx, "INSERT INTO orders (customer_id, total, payment) VALUES ($1, $2, $3)",
			1+i%customers, fmt.Sprintf("%d.%02d", 10+i, i%100), payment)
		if err != nil {
			return fmt.Errorf("order %d: %w", i, err)
		}
	}
	return nil
}

// WaitSlot waits until a client streams from the slot: changes before it
// has one would not be in the stream.
func WaitSlot(ctx context.Context, conn *pgx.Conn, slot string) error {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var active bool
		err := conn.QueryRow(ctx, "SELECT active FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&active)
		if err == nil && active {
			return nil
		}
	}
	return fmt.Errorf("no client streams from slot %q after 2 minutes: is weir running?", slot)
}
