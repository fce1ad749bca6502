#!/usr/bin/env bash
# Compares the exported API of this repository's root package with the
# original etcd v2 client (github.com/coreos/etcd/client at v3.1.20) using
# golang.org/x/exp/cmd/apidiff, prints apidiff's report, and fails unless
# the only incompatible change is the added Client.GetVersion method (an
# interface gaining a method is incompatible for implementers of it),
# besides one documented exception: the original's Node, Nodes and Response
# carried ugorji/go codec methods (CodecEncodeSelf, CodecDecodeSelf) whose
# signatures name ugorji's types; a standard-library-only package cannot
# declare them, and they are reported as removed.
#
# Usage: scripts/apidiff.sh
# Needs the Go toolchain and the Go module proxy (or a warm module cache).
set -euo pipefail

# Pinned so that a new apidiff release cannot change the verdict silently.
APIDIFF_VERSION=v0.0.0-20261113113407-e3970619a1a4 # golang.org/x/exp
OLD_MODULE=github.com/coreos/etcd
OLD_VERSION=v3.1.20+incompatible
OLD_PACKAGE=github.com/coreos/etcd/client
# v3.1.20 has no go.mod. Its keys.generated.go was made by codecgen from
# the ugorji/go commit etcd vendored then; later codec releases dropped the
# helpers it calls, so the package only type-checks against that commit.
OLD_CODEC_VERSION=v0.0.0-20170107133203-ded73eae5db7 # github.com/ugorji/go
# Any current x/net will do: its context package aliases the standard one.
OLD_XNET_VERSION=v0.61.0
# The one incompatible change the project makes on purpose, and the codec
# methods it cannot have (see the top of this file), as apidiff sorts them.
ALLOWED_INCOMPATIBLE='- (*Node).CodecDecodeSelf: removed
- (*Node).CodecEncodeSelf: removed
- (*Nodes).CodecDecodeSelf: removed
- (*Response).CodecDecodeSelf: removed
- (*Response).CodecEncodeSelf: removed
- Client.GetVersion: added
- Nodes.CodecEncodeSelf: removed'

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Neither side may be steered by a go.work that happens to be around.
export GOWORK=off

echo "== installing golang.org/x/exp/cmd/apidiff@$APIDIFF_VERSION" >&2
GOBIN="$work/bin" go install "golang.org/x/exp/cmd/apidiff@$APIDIFF_VERSION"
apidiff="$work/bin/apidiff"

echo "== exporting $OLD_PACKAGE@$OLD_VERSION" >&2
old="$work/old"
mkdir -p "$old"
cat >"$old/go.mod" <<EOF
module apidiff.invalid/old

go 1.26.0

require (
	$OLD_MODULE $OLD_VERSION
	github.com/ugorji/go $OLD_CODEC_VERSION
	golang.org/x/net $OLD_XNET_VERSION
)
EOF
# -mod=mod lets the go command fill go.sum for the pinned requirements;
# with every import of the package required above it looks nothing up.
# `go mod tidy` is no use here: it would chase the tests of etcd's whole
# tree, whose dependencies no longer resolve.
(cd "$old" && GOFLAGS=-mod=mod go list "$OLD_PACKAGE" >/dev/null)
(cd "$old" && GOFLAGS=-mod=mod "$apidiff" -w "$work/old.api" "$OLD_PACKAGE")

new_package=$(cd "$repo" && GOFLAGS=-mod=readonly go list -m)
echo "== exporting $new_package from $repo" >&2
(cd "$repo" && GOFLAGS=-mod=readonly "$apidiff" -w "$work/new.api" "$new_package")

echo "== apidiff $OLD_PACKAGE@$OLD_VERSION $new_package" >&2
report=$("$apidiff" "$work/old.api" "$work/new.api")
printf '%s\n' "$report"

# The report is sections, each a header line ending in ':' followed by
# "- " items; keep the items of the incompatible one.
incompatible=$(printf '%s\n' "$report" | awk '
	/^[^-].*:$/ { in_section = ($0 == "Incompatible changes:"); next }
	in_section && /^- / { print }
')

elapsed=$(($(date +%s) - start))
if [ "$incompatible" != "$ALLOWED_INCOMPATIBLE" ]; then
	echo >&2
	echo "FAIL: the incompatible changes must be exactly:" >&2
	printf '%s\n' "$ALLOWED_INCOMPATIBLE" >&2
	echo "apidiff found:" >&2
	printf '%s\n' "${incompatible:-(none)}" >&2
	echo "(${elapsed}s)" >&2
	exit 1
fi
echo >&2
echo "OK: the only incompatible change is Client.GetVersion, besides the ugorji codec methods (${elapsed}s)" >&2
