#!/usr/bin/env bash
# Loads the risk profiles of risk-memory.yaml into the Redis at port $1
# (make run-fraud). redis-cli reads one SET per line, the JSON single-quoted.
set -euo pipefail
sed -n "s/^ *\"\(risk:[^\"]*\)\": '\(.*\)'\$/SET \1 '\2'/p" "$(dirname "$0")/risk-memory.yaml" | redis-cli -p "$1" >/dev/null
echo "redis 127.0.0.1:$1: $(redis-cli -p "$1" dbsize) risk profiles"
