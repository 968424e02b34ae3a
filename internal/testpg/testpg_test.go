package testpg_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/weirstream/weir/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// TestClusterIsLogicalAndTakesThePassword: the shared cluster has
// wal_level=logical, a fresh database per test, and User logs in with
// Password but not without it.
func TestClusterIsLogicalAndTakesThePassword(t *testing.T) {
	c := testpg.Shared(t)
	db := c.CreateDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.PasswordDSN(db))
	if err != nil {
		t.Fatalf("password login: %v", err)
	}
	defer conn.Close(ctx)
	var level string
	if err := conn.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil || level != "logical" {
		t.Fatalf("wal_level = %q (%v), want logical", level, err)
	}
	wrong := "postgres://" + testpg.User + ":nope@127.0.0.1:" + strconv.Itoa(c.Port) + "/" + db + "?sslmode=disable"
	if bad, err := pgx.Connect(ctx, wrong); err == nil {
		bad.Close(ctx)
		t.Fatal("a wrong password logged in")
	}
}

// TestStopStartKeepsData: a cluster of its own survives a restart with its
// rows.
func TestStopStartKeepsData(t *testing.T) {
	c := testpg.Start(t)
	ctx := context.Background()
	if err := c.Exec(ctx, "postgres", "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var id int
	if err := conn.QueryRow(ctx, "SELECT id FROM kept").Scan(&id); err != nil || id != 7 {
		t.Fatalf("after restart: id = %d (%v), want 7", id, err)
	}
}
