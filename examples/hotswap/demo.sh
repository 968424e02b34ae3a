#!/bin/sh
# An operator's hot swap, step by step (README, "Hot swap").
#   demo.sh BASE    BASE: local://weir/orders or oci://HOST:PORT/weir/orders
# Needs bin/weir and build/plugins/{echo,mask}.wasm (make build plugins).
set -eu
BASE=${1:-local://weir/orders}
WEIR=${WEIR:-bin/weir}
PLUGINS=${PLUGINS:-build/plugins}
export WEIR_REGISTRY_DIR=${WEIR_REGISTRY_DIR:-build/registry}

step() { printf '\n### %s\n' "$*" >&2; }
ADMIN=${WEIR_ADMIN_ADDRESS:-127.0.0.1:4196}
# Run by a person (stderr a terminal), the demo waits PAUSE seconds before
# each change, so the console can be watched; run by a test, it does not.
if [ -t 2 ]; then PAUSE=${PAUSE:-10}; else PAUSE=${PAUSE:-0}; fi
pause() { [ "$PAUSE" = 0 ] || { printf '(next step in %ss: watch it at http://%s/weir/console/)\n' "$PAUSE" "$ADMIN" >&2; sleep "$PAUSE"; }; }
WAIT_SECONDS=${WAIT_SECONDS:-30} # how long wait_for waits before giving up
wait_for() { # wait until `weir transform status` shows $1
	i=0
	until "$WEIR" transform status orders_transform 2>/dev/null | grep -q "$1"; do
		i=$((i + 1)); [ $i -lt $((WAIT_SECONDS * 5)) ] || { echo "demo: status never showed $1 in ${WAIT_SECONDS}s" >&2; exit 1; }
		sleep 0.2
	done
}

step "push two versions: a pass-through (echo) and the mask"
"$WEIR" transform push "$PLUGINS/echo.wasm" "$BASE:echo" >&2
"$WEIR" transform push "$PLUGINS/mask.wasm" "$BASE:mask" >&2
"$WEIR" transform tag "$BASE:echo" live >&2

step "run the pipeline, following $BASE:live"
WEIR_TRANSFORM="$BASE:live" "$WEIR" run "$(dirname "$0")/pipeline.yaml" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_for "echo@"
step "the console: open http://$ADMIN/weir/console/ in a browser to watch the swap and the rollback as they happen"
sleep 1
pause

step "move live to the mask: it takes over between two batches"
"$WEIR" transform tag "$BASE:mask" live >&2
wait_for "mask@"
sleep 1
"$WEIR" transform status orders_transform >&2
pause

step "roll back: the pass-through serves again, the mask's digest is not taken again"
"$WEIR" transform rollback orders_transform >&2 # the token: read from the file weir wrote at start
sleep 1
pause
kill $pid
wait $pid 2>/dev/null || true

step "the audit trail: the swap and the rollback, who did them, from which digest to which"
"$WEIR" transform audit --transform orders_transform >&2
