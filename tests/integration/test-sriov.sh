#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# set_numvfs and set_switchdev on the SR-IOV fixture root, with the driverctl
# and devlink stand-ins: VFs bound to vfio-pci while their PF stays on its
# host driver, a PF's own override removed first, switchdev before the VFs
# (the devlink stand-in refuses a mode change while VFs exist), the boot rule,
# and VFs given back when the inventory stops asking.
. "$(dirname "$0")/lib.sh"
use_root sriov-node
DEVLINK=$FIXTURES/fake-devlink
DEVLINK_LOG=$ROOT/devlink.log
RULE=$ROOT/etc/udev/rules.d/70-onepci-sriov.rules
numvfs() { cat -- "$DEVICES/$1/sriov_numvfs"; }

step "a PF with set_numvfs stays on its driver; its VFs (virtual) go to vfio-pci"
inv=$(inventory_for_n1 vfs.yml '            - address: "0000:03:00.1"
              set_numvfs: 2
            - address: "0000:03:02.*"
              virtual: true')
agent --inventory "$inv" --devlink "$DEVLINK" apply
expect_rc 0 "apply"
expect_driver 0000:03:00.1 i40e
expect_bound_to_vfio 0000:03:02.0
expect_bound_to_vfio 0000:03:02.1
[ "$(numvfs 0000:03:00.1)" = 2 ] || fail "sriov_numvfs changed"
grep -qF 'KERNEL=="0000:03:00.1"' "$RULE" || fail "no boot rule for 03:00.1"
grep -qF 'ATTR{sriov_numvfs}="2"' "$RULE" || fail "the boot rule does not write 2"
expect_output "PCI_FILTER for OpenNebula: 8086:154c"

step "a second apply changes nothing (the VFs are not made again)"
before=$(root_listing)
expect_idle_apply again --inventory "$inv" --devlink "$DEVLINK"

step "check reports a count that differs"
echo 1 > "$DEVICES/0000:03:00.1/sriov_numvfs"
agent --inventory "$inv" --devlink "$DEVLINK" check
expect_rc 8 "check"
expect_output "0000:03:00.1 has 1 VFs, the inventory asks for 2"
echo 2 > "$DEVICES/0000:03:00.1/sriov_numvfs"

step "set_switchdev: the eswitch before the VFs, the count after"
inv=$(inventory_for_n1 sw.yml '            - address: "0000:0c:00.0"
              set_numvfs: max
              set_switchdev: true')
agent --inventory "$inv" plan
expect_output "SR-IOV PF: 8 VFs wanted, 0 now, eswitch switchdev; stays on mlx5_core"
agent --inventory "$inv" apply
expect_rc 5 "no devlink under a root"
expect_output "--devlink"
agent --inventory "$inv" --devlink "$DEVLINK" apply
expect_rc 0 "switchdev"
grep -qx "dev eswitch set pci/0000:0c:00.0 mode switchdev" "$DEVLINK_LOG" || fail "no devlink set"
[ "$(numvfs 0000:0c:00.0)" = 8 ] || fail "sriov_numvfs is $(numvfs 0000:0c:00.0), not 8"
grep -qF 'dev eswitch set pci/0000:0c:00.0 mode switchdev' "$RULE" || fail "no switchdev in the boot rule"
python3 - "$ROOT/var/lib/onepci/state.json" <<'PY' || fail "state"
import json, sys
v = {e["pf"]: e for e in json.load(open(sys.argv[1]))["owned"]["vfs"]}
assert v["0000:0c:00.0"]["numvfs"] == 8 and v["0000:0c:00.0"]["switchdev"], v
assert "0000:03:00.1" not in v, v   # its VFs were there before: not onepci's
PY

step "a different count: 0 is written first (the stand-in would refuse the mode otherwise)"
inv4=$(inventory_for_n1 sw4.yml '            - address: "0000:0c:00.0"
              set_numvfs: 4')
agent --inventory "$inv4" --devlink "$DEVLINK" apply
expect_rc 0 "4 VFs, switchdev off"
[ "$(numvfs 0000:0c:00.0)" = 4 ] || fail "sriov_numvfs is not 4"
grep -qx "dev eswitch set pci/0000:0c:00.0 mode legacy" "$DEVLINK_LOG" || fail "switchdev off did not set legacy"
grep -qF 'ATTR{sriov_numvfs}="4"' "$RULE" || fail "the boot rule does not write 4"

step "the entry removed: the VFs onepci made are given back; the others stay"
inv=$(inventory_for_n1 none.yml '            - address: "0000:0a:00.0"')
agent --inventory "$inv" --devlink "$DEVLINK" plan
expect_output "would release"
agent --inventory "$inv" --devlink "$DEVLINK" apply
expect_rc 0 "release VFs"
[ "$(numvfs 0000:0c:00.0)" = 0 ] || fail "the VFs onepci made stay"
[ "$(numvfs 0000:03:00.1)" = 2 ] || fail "VFs onepci did not make were removed"
[ ! -e "$RULE" ] || fail "the boot rule stays"

step "a PF's own override goes before its VFs are made"
use_root sriov-node
"$FAKE" set-override 0000:0c:00.0 vfio-pci >/dev/null
inv=$(inventory_for_n1 ovr.yml '            - address: "0000:0c:00.0"
              set_numvfs: 2')
agent --inventory "$inv" --devlink "$DEVLINK" apply
expect_rc 0 "override removed"
grep -qx "unset-override 0000:0c:00.0" "$DRIVERCTL_LOG" || fail "no unset-override of the PF"
expect_driver 0000:0c:00.0 mlx5_core
[ "$(numvfs 0000:0c:00.0)" = 2 ] || fail "sriov_numvfs is not 2"
echo "ok"
