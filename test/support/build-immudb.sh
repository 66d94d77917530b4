#!/usr/bin/env bash
# Builds the ImmuDB server used by the integration tests from the Go module proxy, once.
# immudb's go.mod carries `replace` lines, so `go install …@version` refuses it; building inside a
# writable copy of the downloaded module works. The binary is cached in .cache/ (git-ignored).
# v1.11.1 is the newest release the module proxy serves here (1.11.2, 1.12.x and 1.13.0 answer 403).
set -euo pipefail
version="${IMMUDB_VERSION:-v1.11.1}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.cache/immudb-$version"
if [ -x "$out/immudb" ]; then echo "$out/immudb"; exit 0; fi
command -v go >/dev/null || { echo "build-immudb: Go is required to build the ImmuDB test server" >&2; exit 1; }
dir="$(go mod download -json "github.com/codenotary/immudb@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "build-immudb: module download of immudb@$version failed" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$dir/." "$work/"
chmod -R u+w "$work"
mkdir -p "$out"
( cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$out/immudb.tmp" ./cmd/immudb ) >&2
mv "$out/immudb.tmp" "$out/immudb"
echo "$out/immudb"
