#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# One command for the benchmarks (issue 6): builds build-bench/ when needed,
# runs tests/bench/bench.py, prints the table, writes tests/bench/out/results.json.
#   tests/bench/run.sh [bench.py options, e.g. --sizes 100,1000 --only inventory]
# BUILD=DIR uses another build directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BUILD:-$src/build-bench}
# shellcheck source=../../scripts/lib.sh
. "$src/scripts/lib.sh"
install_missing_packages "$src/scripts/packages.txt"
install_missing_packages "$here/packages.txt"
if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$src" -Dbuildtype=release >/dev/null
fi
ninja -C "$build" agent/onepci-agent registrar/onepci-registrar \
        tests/bench/yaml-scan tests/bench/loadgen >/dev/null
exec python3 "$here/bench.py" --build "$build" --out "$here/out" "$@"
