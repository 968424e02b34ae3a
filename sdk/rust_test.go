//go:build !wasip1

package sdk_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/sdk"
)

// TestRustSDKUnitTests compiles the Rust SDK's unit tests (its json and
// pbwire helpers, sdk/rust/weir/src/tests.rs) natively with Debian's
// rustc and runs them.
func TestRustSDKUnitTests(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "weir-sdk-tests")
	src := filepath.Join(fixtures.Root(), "sdk/rust/weir/src/lib.rs")
	if out, err := exec.Command("/usr/bin/rustc", "--edition", "2021", "--test", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("rustc --test: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin).CombinedOutput(); err != nil {
		t.Fatalf("the Rust SDK's unit tests failed: %v\n%s", err, out)
	}
}

func TestConformanceVectorsParse(t *testing.T) {
	f, err := runtime.ParseFixtures(sdk.Conformance)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 15 {
		t.Fatalf("%d conformance cases, want at least 15", len(f.Cases))
	}
}
