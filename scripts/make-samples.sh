#!/bin/sh
# make-samples.sh -- regenerate samples/ from scripts/gen.c (fixed seed: the
# output is byte-for-byte the same every time). Usage: make-samples.sh [CC]
set -eu
cd "$(dirname "$0")/.."
cc=${1:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$tmp/ra_gen" scripts/gen.c
rm -rf samples/gateway samples/proxy samples/map.csv
mkdir -p samples/gateway samples/proxy
"$tmp/ra_gen" samples samples
gzip -n -9 samples/gateway/gateway.log.2
gzip -n -9 samples/proxy/access.log.1
