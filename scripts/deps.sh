#!/bin/sh
# deps.sh -- install the Debian packages relayaudit needs to build, test and
# benchmark, when any is missing. As root it runs apt-get (updating the
# package lists first); otherwise it prints the command and fails.
set -eu
pkgs="make cmake gcc pkg-config libpcre2-dev libsqlite3-dev zlib1g-dev
      libcsv-dev libyajl-dev nettle-dev sqlite3 time tzdata"
[ "${1:-}" = "--bench" ] &&
  pkgs="$pkgs libjansson-dev libjson-c-dev libcjson-dev libjsmn-dev goaccess"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "relayaudit: missing packages:$missing" >&2
  echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "relayaudit: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
