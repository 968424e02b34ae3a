package host_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/registry"
)

// With logging off altogether (the examples run at warn), the audit trail
// still gets the watcher's swap, the automatic rollback and an operator's
// rollback, each with the digest serving before and after.
func TestAuditTrailWithLoggingOff(t *testing.T) {
	r := newRig(t)
	r.stamp("g01")
	r.stamp("g02")
	s := r.serve("audited", "g01", "", "  rollback: { error_rate: 0.5, min_records: 20, window: 1m }")
	trail, err := host.AuditFile()
	require.NoError(t, err)
	mine := func(action string) func(host.AuditEvent) bool {
		return func(ev host.AuditEvent) bool { return ev.Transform == "audited" && ev.Action == action }
	}

	r.push(fixtures.Stamp(t, "broken", true), "broken")
	r.move("broken")
	waitFor(t, "audited", "serving broken", serving(r.digests["broken"]))
	for statusOf(t, "audited").Serving.ID != r.digests["g01"] {
		s.send(t, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	}
	for _, action := range []string{"swap", "rollback"} { // the swap's line is written once its cache copy is kept
		fixtures.WaitUntil(t, "the automatic "+action+"'s audit line", func() bool { return len(auditLines(t, trail, mine(action))) > 0 })
	}
	swaps := auditLines(t, trail, mine("swap"))
	require.Len(t, swaps, 1)
	assert.Equal(t, host.AuditEvent{Time: swaps[0].Time, Actor: "weir", Action: "swap", Transform: "audited",
		From: r.digests["g01"], To: r.digests["broken"], Outcome: "ok", Reason: "following " + "oci://" + r.srv.Host + "/weir/stamp:live", PID: swaps[0].PID}, swaps[0])
	auto := auditLines(t, trail, mine("rollback"))[0]
	assert.Equal(t, "weir", auto.Actor)
	assert.Equal(t, r.digests["broken"], auto.From)
	assert.Equal(t, r.digests["g01"], auto.To)
	assert.Equal(t, "ok", auto.Outcome)
	assert.Contains(t, auto.Reason, "records failed within")

	r.move("g02")
	waitFor(t, "audited", "serving g02", serving(r.digests["g02"]))
	api, apiTrail := adminServer(t, "s3cret")
	code, body := adminCall(t, http.DefaultClient, api.URL, "POST", "/weir/transforms/audited/rollback", "s3cret")
	require.Equal(t, http.StatusOK, code, body)
	op := auditLines(t, apiTrail, mine("rollback"))
	require.Len(t, op, 1)
	assert.Regexp(t, `^token:[0-9a-f]{12}$`, op[0].Actor)
	assert.Regexp(t, `^127\.0\.0\.1:\d+$`, op[0].Peer)
	assert.Equal(t, r.digests["g02"], op[0].From)
	assert.Equal(t, r.digests["g01"], op[0].To)
	assert.Equal(t, "ok", op[0].Outcome)

	missing := "sha256:" + strings.Repeat("0", 64)
	code, body = adminCall(t, http.DefaultClient, api.URL, "POST", "/weir/transforms/audited/pin?id="+missing, "s3cret")
	require.Equal(t, http.StatusConflict, code, body)
	pins := auditLines(t, apiTrail, mine("pin"))
	require.Len(t, pins, 1)
	assert.Equal(t, "failed", pins[0].Outcome)
	assert.Equal(t, r.digests["g01"], pins[0].From)
	assert.Equal(t, missing, pins[0].To, "the version asked for")
	assert.NotEmpty(t, pins[0].Error)
}

// A swap to a signed version names the key that signed it, in the audit
// trail and in the slot's version history.
func TestAuditNamesTheSigner(t *testing.T) {
	r := newRig(t)
	key, pub := keyFiles(t)
	r.stamp("g01")
	r.sign("g01", key)
	r.serve("signed", "g01", ", trusted_keys: ["+pub+"]", "")
	r.stamp("g02")
	r.sign("g02", key)
	r.move("g02")
	waitFor(t, "signed", "serving g02", serving(r.digests["g02"]))

	trail, err := host.AuditFile()
	require.NoError(t, err)
	swap := func(ev host.AuditEvent) bool { return ev.Transform == "signed" && ev.Action == "swap" }
	fixtures.WaitUntil(t, "the swap's audit line", func() bool { return len(auditLines(t, trail, swap)) > 0 })
	want := registry.KeyID(&key.PublicKey)
	assert.Equal(t, want, auditLines(t, trail, swap)[0].Signer)
	var signers []string
	for _, v := range statusOf(t, "signed").Versions {
		signers = append(signers, v.Signer)
	}
	assert.Equal(t, []string{want, want}, signers, "both versions' records name their signer")
}
