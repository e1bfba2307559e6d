#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Tests the VM suite itself: runs the scenario with the init's stand-in agent
# (driverctl and a hand-written rule, no onepci-agent), first behaving, then
# broken in one way at a time, and checks that exactly the step meant to catch
# each fault fails.  Not part of `meson test` (seven boots take ~8 minutes on
# two cores); run it after changing tests/vm/:
#
#   tests/vm/selftest.sh BUILD_DIR
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: selftest.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
agent=$build/agent/onepci-agent
[ -x "$agent" ] || agent=/usr/bin/true # unused by the stand-in; only copied

# fault -> the step that must fail (others may fail too when they depend on it)
declare -A expect=(
        [none]=""       # the stand-in behaving: everything passes
        [guard]=2       # binds the default-route NIC: network gone
        [rule]=1        # no udev rule: /dev/vfio/N stays root 0600
        [save]=1        # --nosave: nothing for driverctl's boot unit to replay
        [rebind]=3      # re-binds bound devices: /dev/vfio/N recreated
        [check]=4       # check never reports drift
        [wait]=7        # no udev reload/re-trigger: a changed mode never lands
)
bad=0
for fault in none guard rule save rebind check wait; do
        b=$fault
        [ $fault = none ] && b=
        log=$build/vm/selftest-$fault.log
        ONEPCI_VM_AGENT=driverctl ONEPCI_VM_BREAK=$b ONEPCI_VM_REGISTER=0 \
                "$here/run-vm-test.sh" "$agent" "$build" > "$log" 2>&1
        rc=$?
        failed=$(tr -d '\r' < "$log" | sed -n 's/^ONEPCI-STEP \([0-9]\) FAIL .*/\1/p' | sort -u | tr '\n' ' ')
        want=${expect[$fault]}
        if [ -z "$want" ]; then
                if [ $rc = 0 ]; then verdict=ok; else verdict=WRONG; fi
        elif [ $rc = 1 ] && [[ " $failed" == *" $want "* ]]; then
                verdict=ok
        else
                verdict=WRONG
        fi
        [ $verdict = ok ] || bad=1
        printf '%-7s exit=%s failed steps: %-10s expected: %-3s %s (%s)\n' \
                "$fault" "$rc" "${failed:-none}" "${want:-none}" "$verdict" "$log"
done
exit $bad
