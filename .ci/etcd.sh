#!/usr/bin/env bash
# Provides both etcd lines the integration suite runs against:
#   - etcd 3.4 from Debian's etcd-server package, installed as /usr/bin/etcd;
#   - etcd 3.5.35 built from internal/tools/etcd35 into "$1/etcd35".
# Usage: .ci/etcd.sh <bindir>. Needs root for apt-get; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

bindir=${1:?usage: .ci/etcd.sh <bindir>}
mkdir -p "$bindir"
bindir=$(cd "$bindir" && pwd)

if [ ! -x /usr/bin/etcd ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
fi

(cd internal/tools/etcd35 && go build -o "$bindir/etcd35" .)

/usr/bin/etcd --version | head -1
"$bindir/etcd35" --version | head -1
