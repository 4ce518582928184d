#!/bin/sh
# Fails when the daemon binary carries simulator or fault-injection code: that code exists only to
# break the daemon, and lives in commerce-sim alone (adapters/CMakeLists.txt: simulator*.cpp go to
# the per-platform _sim libraries). A control binary (commerce-sim) must show the symbols, so the
# check cannot pass because nm found nothing.
set -eu
daemon=$1
control=$2
pattern='Simulator|FaultInjector|SimulatedPlatform'
if ! nm -C "$control" | grep -Eq "$pattern"; then
    echo "check broken: no simulator symbol found in the control binary $control" >&2
    exit 1
fi
found=$(nm -C "$daemon" | grep -E "$pattern" | head -20 || true)
if [ -n "$found" ]; then
    echo "$daemon carries simulator or fault-injection code:" >&2
    echo "$found" >&2
    exit 1
fi
echo "$daemon: no simulator or fault-injection symbols"
