#!/usr/bin/env bash
# Provides the etcd servers the real-etcd suites run against.
#   .ci/etcd.sh debian       installs etcd 3.4 from Debian's etcd-server
#                            package as /usr/bin/etcd (needs root; idempotent).
#   .ci/etcd.sh build V...   builds each etcd version V into
#                            $ETCDTEST_CACHE_DIR the way a first test run on
#                            a machine without etcd does (internal/etcdtest,
#                            from internal/tools/etcdXY), then runs etcdtest's
#                            smoke test TestV3Gateway against it.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
debian)
  if [ ! -x /usr/bin/etcd ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
  fi
  /usr/bin/etcd --version | sed -n 1p
  ;;
build)
  shift
  : "${ETCDTEST_CACHE_DIR:?set ETCDTEST_CACHE_DIR to the cache to build into}"
  for v in "$@"; do
    s=$(date +%s)
    # CI=true turns a failed build into a failed test, not a skip.
    CI=true ETCDTEST_VERSION="$v" go test -count=1 -run '^TestV3Gateway$' -v ./internal/etcdtest/ >"$ETCDTEST_CACHE_DIR/$v.log" 2>&1 || {
      cat "$ETCDTEST_CACHE_DIR/$v.log"; echo "etcd $v: build or smoke test failed"; exit 1; }
    grep -q -- '--- PASS: TestV3Gateway' "$ETCDTEST_CACHE_DIR/$v.log" || {
      cat "$ETCDTEST_CACHE_DIR/$v.log"; echo "etcd $v: TestV3Gateway did not pass"; exit 1; }
    got=$("$ETCDTEST_CACHE_DIR/$v/etcd" --version | sed -n 1p)
    [ "$got" = "etcd Version: $v" ] || { echo "etcd $v: cache holds '$got'"; exit 1; }
    echo "$got: built and smoke-tested (TestV3Gateway) in $(( $(date +%s) - s ))s"
  done
  ;;
*)
  echo "usage: .ci/etcd.sh debian | build VERSION..." >&2; exit 2
  ;;
esac
