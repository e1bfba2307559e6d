#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The driverctl stand-in does to a fixture root what driverctl 0.111 does to
# sysfs; the other integration tests rely on it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

# shellcheck disable=SC2034 # RC, OUT and ERR are read by lib.sh's expect_*
fake() {
        set +e
        "$FAKE" "$@" >"$WORK/out" 2>"$WORK/err"
        RC=$?
        set -e
        OUT=$(cat -- "$WORK/out")
        ERR=$(cat -- "$WORK/err")
}

step "refuses to run without a fixture root"
(unset ONEPCI_FAKE_ROOT; fake list-overrides; expect_rc 1; expect_output "refusing")
(ONEPCI_FAKE_ROOT=/; fake list-overrides; expect_rc 1; expect_output "refusing")
[ ! -e "$DRIVERCTL_LOG" ] || fail "logged a refused run"

step "list-overrides with none exits 1"
fake list-overrides
expect_rc 1

step "a short address is no such device"
fake set-override 09:00.0 vfio-pci
expect_rc 1
expect_output "09:00.0: no such device"

step "set-override binds to vfio-pci like driverctl"
expect_driver 0000:09:00.0 nvidia
fake set-override 0000:09:00.0 vfio-pci
expect_rc 0
expect_bound_to_vfio 0000:09:00.0
[ ! -e "$ROOT/sys/bus/pci/drivers/nvidia/0000:09:00.0" ] || fail "nvidia still lists 09:00.0"
[ "$(stat -c %a "$ROOT/dev/vfio/13")" = 600 ] || fail "/dev/vfio/13 is not a fresh 0600 node"
expect_driver 0000:0a:00.0 nvidia

step "list-overrides prints ADDR DRV"
fake list-overrides
expect_rc 0
[ "$OUT" = "0000:09:00.0 vfio-pci" ] || fail "list-overrides printed \"$OUT\""

step "unset-override clears the override and gives the device back"
fake unset-override 0000:09:00.0
expect_rc 0
expect_driver 0000:09:00.0 nvidia
[ "$(cat "$DEVICES/0000:09:00.0/driver_override")" = "(null)" ] || fail "override not cleared"
[ ! -e "$ROOT/etc/driverctl.d/pci-0000:09:00.0" ] || fail "saved override left"
[ -L "$ROOT/sys/bus/pci/drivers/nvidia/0000:09:00.0" ] || fail "nvidia link not restored"
[ ! -e "$ROOT/sys/bus/pci/drivers/vfio-pci/0000:09:00.0" ] || fail "vfio-pci link left"

step "load-override applies the saved file"
mkdir -p "$ROOT/etc/driverctl.d"
echo vfio-pci > "$ROOT/etc/driverctl.d/pci-0000:0a:00.0"
fake load-override 0000:0a:00.0
expect_rc 0
expect_bound_to_vfio 0000:0a:00.0
[ -e "$ROOT/dev/vfio/14" ] || fail "no /dev/vfio/14"

step "ONEPCI_FAKE_DRIVERCTL_FAIL leaves the device on no driver, exit 0"
ONEPCI_FAKE_DRIVERCTL_FAIL=0000:0b:00.1 fake set-override 0000:0b:00.1 vfio-pci
expect_rc 0
expect_driver 0000:0b:00.1 ""
[ ! -e "$ROOT/sys/bus/pci/drivers/snd_hda_intel/0000:0b:00.1" ] || fail "old driver link left"

step "--nosave binds without saving; an unknown option does nothing, exit 0"
fake --nosave set-override 0000:03:00.1 vfio-pci
expect_rc 0
expect_driver 0000:03:00.1 vfio-pci
[ ! -e "$ROOT/etc/driverctl.d/pci-0000:03:00.1" ] || fail "--nosave saved"
fake --bogus unset-override 0000:03:00.1
expect_rc 0
expect_output "Usage"
expect_driver 0000:03:00.1 vfio-pci

step "every invocation is logged"
[ "$(log_lines)" -eq 9 ] || fail "$(log_lines) log lines, expected 9"
grep -qx "set-override 0000:09:00.0 vfio-pci" "$DRIVERCTL_LOG" || fail "set-override not logged"
echo "ok"
