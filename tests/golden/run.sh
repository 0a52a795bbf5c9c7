#!/bin/sh
# run.sh BIN CASEDIR -- one golden CLI test: runs CASEDIR/cmd (a shell
# script using $RA, the binary, and $SRC, the source tree) in a scratch
# directory and compares stdout, stderr and the exit code with
# expected.out, expected.err and expected.rc. Timings and the source path
# are normalised. UPDATE_GOLDEN=1 rewrites the expected files.
set -u
RA=$1
case=$2
# RA_WRAP (e.g. valgrind) runs the binary under a tool: `make valgrind`.
if [ -n "${RA_WRAP:-}" ]; then
  wrap=$(mktemp)
  printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$RA_WRAP" "$RA" >"$wrap"
  chmod +x "$wrap"
  RA=$wrap
fi
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export RA SRC
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" ${wrap:-}' EXIT
(cd "$tmp" && sh "$case/cmd" >"$tmp/out" 2>"$tmp/err.raw")
echo $? >"$tmp/rc"
sed -e 's/[0-9][0-9.]* s ([0-9]* lines\/s)/T s (N lines\/s)/g' \
    -e "s#$SRC#<src>#g" -e "s#$tmp#<tmp>#g" "$tmp/err.raw" >"$tmp/err"
sed -i -e "s#$SRC#<src>#g" -e "s#$tmp#<tmp>#g" "$tmp/out"
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
  cp "$tmp/out" "$case/expected.out"
  cp "$tmp/err" "$case/expected.err"
  cp "$tmp/rc" "$case/expected.rc"
  exit 0
fi
fail=0
for f in out err rc; do
  if ! diff -u "$case/expected.$f" "$tmp/$f"; then
    echo "golden: $(basename "$case"): $f differs" >&2
    fail=1
  fi
done
exit $fail
