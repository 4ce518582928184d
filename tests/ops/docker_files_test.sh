#!/usr/bin/env bash
# No Docker engine runs where the tests do: this checks what can be checked without one. Every
# file the Dockerfile copies from the build context and every file the compose demo mounts exists;
# the scripts they run exist and are executable; the image's own configuration validates; the
# runtime package list derived by docker/runtime-packages covers every library `ldd` shows for
# the built binaries; the Prometheus configuration and alert rules pass promtool.
# Usage: docker_files_test.sh SOURCE_DIR COMMERCE_SYNCD COMMERCE_SIM PROMTOOL
set -euo pipefail
src=$1 syncd=$2 sim=$3 promtool=$4
fail() { echo "docker_files_test: $*" >&2; exit 1; }
dockerfile=$src/docker/Dockerfile compose=$src/docker/compose.yaml

# COPY sources from the build context (the repository root); COPY --from=build names build paths.
# Continuation lines are joined first.
copies=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile" | awk '$1 == "COPY" && $2 !~ /^--from/')
[ -n "$copies" ] || fail "the Dockerfile copies nothing from the build context"
while read -r _ args; do
  set -- $args
  while [ $# -gt 1 ]; do
    [ "$1" = "." ] || [ -e "$src/$1" ] || fail "Dockerfile: COPY source $1 does not exist"
    shift
  done
done <<<"$copies"

# Scripts the build runs, and the image's own configuration where the Dockerfile puts it.
for script in scripts/bootstrap docker/runtime-packages; do
  grep -q "$script" "$dockerfile" || fail "Dockerfile no longer runs $script (update this test)"
  [ -x "$src/$script" ] || fail "$script is missing or not executable"
done
for directive in 'FROM debian:bookworm-slim AS build' 'USER commerce-syncd' \
                 'VOLUME \["/var/lib/commerce-syncd"\]' 'STOPSIGNAL SIGTERM' 'HEALTHCHECK ' \
                 'COPY docker/commerce-syncd.yaml /etc/commerce-syncd/commerce-syncd.yaml'; do
  grep -q "^$directive" "$dockerfile" || fail "Dockerfile lacks: $directive"
done
grep -q '"commerce-syncd", "healthcheck"' "$dockerfile" || fail "HEALTHCHECK does not use the verb"

# compose: the build's context and Dockerfile, and every file mounted from the repository.
grep -q 'context: \.\.$' "$compose" || fail "compose.yaml: build context is not the repository root"
dockerfile_ref=$(sed -n 's/^ *dockerfile: *//p' "$compose")
[ -f "$src/$dockerfile_ref" ] || fail "compose.yaml: dockerfile $dockerfile_ref does not exist"
while read -r mount; do
  [ -e "$src/docker/$mount" ] || fail "compose.yaml: mounted file docker/$mount does not exist"
done < <(sed -n 's/^ *- *\.\/\([^:]*\):.*/\1/p' "$compose")
# Every platform the container configuration uses has a simulator in the demo.
for platform in $(grep -o 'platform: [a-z0-9_-]*' "$src/docker/commerce-syncd.yaml" | cut -d' ' -f2 | sort -u); do
  grep -q "\"--platform\", \"$platform\"" "$compose" || fail "compose.yaml: no simulator for $platform"
done

# The image's configuration validates with the variables compose sets.
env $(sed -n 's/^      \([A-Z_]*\): \(.*\)$/\1=\2/p' "$compose") \
  "$syncd" check-config -c "$src/docker/commerce-syncd.yaml" >/dev/null \
  || fail "docker/commerce-syncd.yaml does not validate"
grep -q 'listen: "0.0.0.0:9464"' "$src/docker/commerce-syncd.yaml" \
  || fail "the container configuration must listen on 0.0.0.0:9464"

# The runtime packages cover ldd: each library comes from a listed package (dpkg -L).
packages=$("$src/docker/runtime-packages" "$syncd" "$sim") || fail "runtime-packages failed"
[ -n "$packages" ] || fail "runtime-packages printed nothing"
files=$(dpkg -L $packages 2>/dev/null)
while read -r lib; do
  grep "/$(basename "$lib")\$" >/dev/null <<<"$files" \
    || fail "no runtime package provides $lib (packages: $(echo $packages))"
done < <(ldd "$syncd" "$sim" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u)

# Prometheus: the scrape configuration (with its rule file) and the alert rules.
"$promtool" check config "$src/docker/prometheus.yml" >/dev/null || fail "promtool rejects docker/prometheus.yml"
"$promtool" check rules "$src/docker/alerts.yml" >/dev/null || fail "promtool rejects docker/alerts.yml"
echo "docker files: ok ($(echo $packages | wc -w) runtime packages)"
