#!/usr/bin/env bash
# `cmake --install` into a temporary root (DESTDIR): every file where the layout says, the unit's
# paths pointing at them, `systemd-analyze verify` clean and its exposure score within bounds.
# Usage: install_test.sh BUILD_DIR BINDIR CONFIG_DIR UNIT_DIR MAN1_DIR MAX_EXPOSURE_X10
set -euo pipefail
build=$1 bindir=$2 confdir=$3 unitdir=$4 man1dir=$5 max_exposure=$6

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

DESTDIR=$root cmake --install "$build" >/dev/null

unit=$root$unitdir/commerce-syncd.service
for f in "$root$bindir/commerce-syncd" "$root$confdir/commerce-syncd.example.yaml" "$unit" \
         "$root$man1dir/commerce-syncd.1"; do
  [ -f "$f" ] || fail "not installed: ${f#"$root"}"
done
[ -x "$root$bindir/commerce-syncd" ] || fail "$bindir/commerce-syncd is not executable"
grep -qE '@[A-Z_]+@' "$unit" && fail "unsubstituted @VAR@ in the installed unit: $(grep -nE '@[A-Z_]+@' "$unit")"
grep -qx "ExecStart=$bindir/commerce-syncd run -c $confdir/commerce-syncd.yaml" "$unit" \
  || fail "ExecStart does not name the installed binary and configuration"
"$root$bindir/commerce-syncd" version | grep -q '^commerce-syncd ' || fail "installed binary does not run"
# The shipped example passes the installed binary's own validation.
"$root$bindir/commerce-syncd" check-config -c "$root$confdir/commerce-syncd.example.yaml" >/dev/null \
  || fail "the installed example configuration does not validate"
# The man page renders (groff is not needed: scdoc's output is checked for its sections).
grep -q '^\.SH NAME' "$root$man1dir/commerce-syncd.1" || fail "man page has no NAME section"

# verify needs the programs the unit runs at their paths: check a copy that runs them from the
# temporary root (systemd 252 has no --root support for unit files outside a full tree).
mkdir "$root/verify"
sed "s|$bindir/commerce-syncd|$root$bindir/commerce-syncd|g" "$unit" >"$root/verify/commerce-syncd.service"
out=$(cd "$root/verify" && MANPATH=$root$(dirname "$man1dir") \
        systemd-analyze verify "$root/verify/commerce-syncd.service" 2>&1) \
  || fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"

# --threshold is the exposure level times ten (2.0 -> 20).
if ! out=$(systemd-analyze security --offline=yes --threshold="$max_exposure" "$unit" 2>&1); then
  echo "$out" | grep -v '^✓' >&2
  fail "exposure above $max_exposure/10"
fi
echo "$out" | tail -1
