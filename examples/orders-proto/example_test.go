package ordersproto_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// TestOrdersProtoExample runs the schema-bound demo with the real weir
// binary and mask module.
func TestOrdersProtoExample(t *testing.T) {
	dir := t.TempDir()
	mask := filepath.Join(dir, "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	deadLetter := filepath.Join(dir, "dead.jsonl")
	cmd := exec.Command(fixtures.Weir(t), "run", "examples/orders-proto/pipeline.yaml")
	cmd.Dir = fixtures.Root()
	cmd.Env = append(os.Environ(), "WEIR_MASK="+mask, "DEAD_LETTER="+deadLetter, "ORDERS=70", "HTTP_ADDRESS=127.0.0.1:0",
		"XDG_CACHE_HOME="+fixtures.CacheHome(t))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())

	lines := 0
	for sc := bufio.NewScanner(&stdout); sc.Scan(); lines++ {
		var order struct {
			Customer struct{ Email, Phone, Card, Name string }
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &order), sc.Text())
		assert.Regexp(t, `^\*\*\*@`, order.Customer.Email)
		assert.Regexp(t, `^\*{12}\d{4}$`, order.Customer.Card)
		assert.Regexp(t, `^\*\*\*\d{4}$`, order.Customer.Phone)
		assert.Regexp(t, `^[0-9a-f]{64}$`, order.Customer.Name)
	}
	// 70 orders: 7 corrupt (every 10th), 10 with a bad email (every 7th), 1 both (70)
	assert.Equal(t, 54, lines)

	dead, err := os.ReadFile(deadLetter)
	require.NoError(t, err)
	classes := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(dead)), "\n") {
		var d struct{ Class, Field, Error string }
		require.NoError(t, json.Unmarshal([]byte(line), &d))
		classes[d.Class]++
		if d.Class == "schema_violation" {
			assert.Equal(t, "customer.email", d.Field)
			assert.Contains(t, d.Error, "must be a valid email address")
		}
	}
	assert.Equal(t, map[string]int{"bad_input": 7, "schema_violation": 9}, classes)
}
