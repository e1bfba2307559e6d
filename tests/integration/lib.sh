# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by the integration tests: `. lib.sh AGENT FIXTURES_DIR`.
#
# Each test works on its own copy of tests/fixtures/roots/gpu-node (ROOT) with
# the driverctl stand-in (tests/fixtures/fake-driverctl), never on the real
# system: the agent gets --root ROOT and the stand-in ONEPCI_FAKE_ROOT=ROOT.

set -eu

AGENT=$(realpath -e -- "$1")
FIXTURES=$(realpath -e -- "$2")
FAKE=$FIXTURES/fake-driverctl
INVENTORY=$FIXTURES/demo/inventory.yml
TEST_NAME=$(basename -- "$0" .sh)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/onepci-$TEST_NAME-XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
ROOT=$WORK/root
cp -a -- "$FIXTURES/roots/gpu-node" "$ROOT"
export ONEPCI_FAKE_ROOT=$ROOT
unset ONEPCI_FAKE_DRIVERCTL_FAIL
DEVICES=$ROOT/sys/bus/pci/devices
DRIVERCTL_LOG=$ROOT/driverctl.log

# use_root NAME: start over on a fresh copy of tests/fixtures/roots/NAME.
use_root() {
        rm -rf -- "$ROOT"
        cp -a -- "$FIXTURES/roots/$1" "$ROOT"
}

STEP=""
step() {
        STEP=$*
        echo "# $STEP"
}

fail() {
        echo "FAIL [$STEP]: $*" >&2
        if [ -e "$WORK/out" ]; then
                echo "--- agent stdout" >&2
                cat -- "$WORK/out" >&2
                echo "--- agent stderr" >&2
                cat -- "$WORK/err" >&2
        fi
        exit 1
}

# agent ARGS...: runs the built agent on ROOT as host n1 with the demo
# inventory (later --host/--inventory arguments win); sets RC, OUT, ERR.
# ONEPCI_TEST_WRAPPER (e.g. "valgrind -q --error-exitcode=99 --leak-check=full")
# runs the agent under a checker: any finding shows as a wrong exit status.
agent() {
        set +e
        # shellcheck disable=SC2086 # the wrapper is a command line
        ${ONEPCI_TEST_WRAPPER:-} "$AGENT" --root "$ROOT" --driverctl "$FAKE" --no-register \
                --inventory "$INVENTORY" --host n1 "$@" >"$WORK/out" 2>"$WORK/err"
        RC=$?
        set -e
        OUT=$(cat -- "$WORK/out")
        ERR=$(cat -- "$WORK/err")
}

expect_rc() {
        [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1${2:+ ($2)}"
}

# expect_output TEXT: stdout or stderr contains TEXT (fixed string).
expect_output() {
        printf '%s\n%s\n' "$OUT" "$ERR" | grep -qF -- "$1" || fail "output lacks \"$1\""
}

# expect_idle_apply WHAT AGENT-ARGS...: applying again says so and runs no driverctl.
expect_idle_apply() {
        local what=$1 n
        shift
        n=$(log_lines)
        agent "$@" apply
        expect_rc 0 "$what"
        expect_output "already configured, nothing changed"
        [ "$(log_lines)" -eq "$n" ] || fail "driverctl ran again ($what)"
}

expect_no_output() {
        ! printf '%s\n%s\n' "$OUT" "$ERR" | grep -qF -- "$1" || fail "output has \"$1\""
}

# driver_of ADDR: the driver bound in ROOT, or "" when unbound.
driver_of() {
        local link=$DEVICES/$1/driver
        if [ -L "$link" ]; then
                basename -- "$(readlink -- "$link")"
        fi
}

expect_driver() {
        local got
        got=$(driver_of "$1")
        [ "$got" = "$2" ] || fail "$1 is on \"$got\", expected \"$2\""
}

# expect_bound_to_vfio ADDR: what real driverctl leaves behind, and that the
# link resolves inside the root.
expect_bound_to_vfio() {
        expect_driver "$1" vfio-pci
        [ "$(realpath -e -- "$DEVICES/$1/driver")" = "$(realpath -e -- "$ROOT/sys/bus/pci/drivers/vfio-pci")" ] ||
                fail "$1/driver does not resolve to the root's vfio-pci"
        [ -L "$ROOT/sys/bus/pci/drivers/vfio-pci/$1" ] || fail "no vfio-pci/$1 link"
        [ "$(cat -- "$DEVICES/$1/driver_override")" = vfio-pci ] || fail "$1 driver_override not vfio-pci"
        [ "$(cat -- "$ROOT/etc/driverctl.d/pci-$1")" = vfio-pci ] || fail "no saved override for $1"
}

log_lines() {
        if [ -e "$DRIVERCTL_LOG" ]; then
                wc -l < "$DRIVERCTL_LOG"
        else
                echo 0
        fi
}

# A listing of every path of ROOT with link targets, sizes, modes and a
# digest of every file: equal listings mean an untouched root.
root_listing() {
        (
                cd -- "$ROOT"
                find . -printf '%p %y %l %s %m\n' | LC_ALL=C sort
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
        )
}

# A temporary inventory from stdin.
inventory_file() {
        local f=$WORK/$1
        cat > "$f"
        printf '%s\n' "$f"
}

# inventory_for_n1 ENTRIES: an inventory whose host n1 has these pci_devices
# lines (YAML, indented for the list).
inventory_for_n1() {
        local name=$1 entries=$2
        inventory_file "$name" <<EOF
---
all:
  children:
    node:
      hosts:
        n1:
          ansible_host: 192.168.122.3
          pci_devices:
$entries
EOF
}
