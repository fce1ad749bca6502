#!/usr/bin/env bash
# Runs the README's test command N times in a row while a CPU hog keeps
# every core busy, to show that the suite never fails at random on a loaded
# machine. Usage: scripts/stress-test.sh N [go test flags...]
# Prints one line per run and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${1:?usage: scripts/stress-test.sh N}
shift
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "stress-test: N must be a positive number, got '$runs'" >&2
  exit 2
fi
logdir=$(mktemp -d)

# The hog: a Go busy loop with one spinning goroutine per core, built once.
hogdir=$(mktemp -d)
cat >"$hogdir/main.go" <<'GO'
package main

import "runtime"

func main() {
	for range runtime.NumCPU() {
		go func() {
			for {
			}
		}()
	}
	select {}
}
GO
(cd "$hogdir" && go mod init hog >/dev/null 2>&1 && go build -o hog .) || { echo "stress-test: cannot build the CPU hog" >&2; exit 2; }
"$hogdir/hog" &
hog=$!
cleanup() {
  kill "$hog" 2>/dev/null
  wait "$hog" 2>/dev/null
  rm -rf "$hogdir"
}
trap cleanup EXIT
echo "stress-test: CPU hog running as PID $hog on $(nproc) cores; logs in $logdir"

passed=0
failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if go test -race -count=1 "$@" ./... >"$logdir/run-$i.log" 2>&1; then
    passed=$((passed + 1)); verdict=ok
  else
    failed=$((failed + 1)); verdict=FAILED
  fi
  echo "run $i/$runs: $verdict in $(( $(date +%s) - start ))s (log: $logdir/run-$i.log)"
  if [ "$verdict" = FAILED ]; then
    grep -E -- '^(--- FAIL|FAIL|panic:)|_test.go:[0-9]+:' "$logdir/run-$i.log" | head -20
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
