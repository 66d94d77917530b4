#!/usr/bin/env bash
# Builds the NATS server used by the cluster tests (and `npm run cluster`) from the Go module proxy, once.
# nats-server's go.mod has no `replace` lines, so a plain `go install …@version` works; GOBIN puts the
# binary in .cache/ (git-ignored). Prints the binary's path on stdout; build output goes to stderr.
set -euo pipefail
version="${NATS_SERVER_VERSION:-v2.15.2}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.cache/nats-server-$version"
if [ -x "$out/nats-server" ]; then echo "$out/nats-server"; exit 0; fi
command -v go >/dev/null || { echo "build-nats: Go is required to build the NATS test server" >&2; exit 1; }
mkdir -p "$root/.cache"
work="$(mktemp -d "$root/.cache/nats-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Install into a private directory first so a concurrent or interrupted build never leaves a half-written binary.
( CGO_ENABLED=0 GOBIN="$work" go install "github.com/nats-io/nats-server/v2@$version" ) >&2
mkdir -p "$out"
mv "$work/nats-server" "$out/nats-server"
echo "$out/nats-server"
