package orders_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// TestOrdersExample runs the README's demo pipeline with the real weir
// binary and the real mask module, and checks what a user would see.
func TestOrdersExample(t *testing.T) {
	dir := t.TempDir()
	weir := fixtures.Weir(t)
	mask := filepath.Join(dir, "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	deadLetter := filepath.Join(dir, "dead.jsonl")

	cmd := exec.Command(weir, "run", filepath.Join(fixtures.Root(), "examples/orders/pipeline.yaml"))
	cmd.Env = append(os.Environ(), "WEIR_MASK="+mask, "DEAD_LETTER="+deadLetter, "ORDERS=50", "HTTP_ADDRESS=127.0.0.1:0",
		"XDG_CACHE_HOME="+fixtures.CacheHome(t))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())

	clearEmail := regexp.MustCompile(`[a-z]+\.[a-z]+@`)
	clearCard := regexp.MustCompile(`"4\d{15}"`)
	lines := 0
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		lines++
		line := sc.Text()
		var order struct {
			Customer struct{ Email, Phone, Card, Name string }
		}
		require.NoError(t, json.Unmarshal([]byte(line), &order), line)
		assert.False(t, clearEmail.MatchString(line), "clear-text email in %s", line)
		assert.False(t, clearCard.MatchString(line), "clear-text card in %s", line)
		assert.Regexp(t, `^\*\*\*@`, order.Customer.Email)
		assert.Regexp(t, `^\*{12}\d{4}$`, order.Customer.Card)
		assert.Regexp(t, `^\*\*\*\d{4}$`, order.Customer.Phone)
		assert.Regexp(t, `^tok_[0-9a-f]{64}$`, order.Customer.Name)
	}
	assert.Equal(t, 45, lines, "every valid order comes out")

	dead, err := os.ReadFile(deadLetter)
	require.NoError(t, err)
	deadLines := strings.Split(strings.TrimSpace(string(dead)), "\n")
	require.Len(t, deadLines, 5, "every 10th order is corrupt and dead-lettered")
	var d struct{ Class, Error, Transform, Payload string }
	require.NoError(t, json.Unmarshal([]byte(deadLines[0]), &d))
	assert.Equal(t, "bad_input", d.Class, "the host finds the mask's fields and refuses a record that is not JSON")
	assert.Equal(t, "mask@0.1.0", d.Transform)
	assert.Contains(t, d.Error, "record is not JSON")
	assert.Contains(t, d.Payload, "corrupted order")
}
