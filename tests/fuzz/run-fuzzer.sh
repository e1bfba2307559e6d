#!/usr/bin/env bash
# run-fuzzer.sh FUZZER CORPUS SECONDS: fuzzes from the committed corpus into a
# scratch directory for SECONDS; a crash fails the test and its input is kept
# in the build directory as crash-* (add it to the corpus as a regression).
set -euo pipefail
fuzzer="$1" corpus="$2" seconds="$3"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$corpus"/. "$scratch"/
cd "$(dirname "$fuzzer")"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    "$scratch"
