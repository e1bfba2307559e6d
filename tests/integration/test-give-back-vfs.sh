#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The VFs onepci made are given back when the PF's entry stops asking for
# them: the entry now binds the PF itself (no set_numvfs), or says
# set_numvfs: 0.  The VFs' overrides go, 0 is written to sriov_numvfs (the
# eswitch back to legacy), the boot rule's line goes, and only then is the
# PF bound; never while a VF's /dev/vfio/N is held (unless --force), and
# never VFs onepci did not make.  The fixture root has no kernel: where it
# would remove the VFs, the test does.
. "$(dirname "$0")/lib.sh"
use_root sriov-node
DEVLINK=$FIXTURES/fake-devlink
RULE=$ROOT/etc/udev/rules.d/70-onepci-sriov.rules
PF=0000:03:00.1
numvfs() { cat -- "$DEVICES/$1/sriov_numvfs"; }
state_vfs() {
        python3 -c 'import json,sys; print(" ".join(sorted(e["pf"] for e in json.load(open(sys.argv[1]))["owned"]["vfs"])))' \
                "$ROOT/var/lib/onepci/state.json"
}
# What the kernel does when 0 is written: the VFs are gone.
kernel_removes_vfs() {
        rm -rf -- "$DEVICES/0000:03:02.0" "$DEVICES/0000:03:02.1" "$DEVICES/$PF"/virtfn*
}
# onepci makes the PF's 2 VFs (the fixture has them already: it starts at 0).
make_vfs() {
        echo 0 > "$DEVICES/$PF/sriov_numvfs"
        agent --inventory "$vfs" --devlink "$DEVLINK" apply
        expect_rc 0 "VFs made"
        [ "$(numvfs $PF)" = 2 ] || fail "sriov_numvfs is not 2"
        expect_bound_to_vfio 0000:03:02.0
        case " $(state_vfs) " in *" $PF "*) ;; *) fail "the state file does not record the VFs" ;; esac
}
vfs=$(inventory_for_n1 vfs.yml '            - address: "0000:03:00.1"
              set_numvfs: 2
            - address: "0000:0c:00.0"
              set_numvfs: 1
            - address: "0000:03:02.*"
              virtual: true')
pf=$(inventory_for_n1 pf.yml '            - address: "0000:03:00.1"
            - address: "0000:0c:00.0"
              set_numvfs: 1
            - address: "0000:03:02.*"
              virtual: true')
zero=$(inventory_for_n1 zero.yml '            - address: "0000:03:00.1"
              set_numvfs: 0
              set_driver: omit
            - address: "0000:03:02.*"
              virtual: true')

step "VFs onepci made, then the entry binds the PF itself"
make_vfs
agent --inventory "$pf" --devlink "$DEVLINK" plan
expect_rc 0 "plan"
expect_output "$PF  8086:1572  would bind   first the 2 VFs onepci made go (0 VFs); then i40e -> vfio-pci"
expect_output "0000:03:02.0  8086:154c  would release"
expect_output "PCI_FILTER for OpenNebula: 8086:1572"
agent --inventory "$pf" --devlink "$DEVLINK" check
expect_rc 8 "check"
expect_output "$PF would give back the VFs onepci made"
expect_output "70-onepci-sriov.rules is missing or differs"

step "a VF's /dev/vfio/N held: refused, naming the process; nothing changes"
group=$(basename "$(readlink "$DEVICES/0000:03:02.0/iommu_group")")
mkdir -p "$ROOT/proc/4242/fd"
ln -s "/dev/vfio/$group" "$ROOT/proc/4242/fd/9"
printf 'qemu-system-x86_64\0-name\0guest=one-7\0' >"$ROOT/proc/4242/cmdline"
n=$(log_lines)
agent --inventory "$pf" --devlink "$DEVLINK" apply
expect_rc 6 "held"
expect_output "/dev/vfio/$group is held by PID 4242 (qemu-system-x86_64 -name guest=one-7)"
[ "$(log_lines)" -eq "$n" ] || fail "driverctl ran although a VF is held"
[ "$(numvfs $PF)" = 2 ] || fail "the VFs went although one is held"

step "--force: the VFs' overrides go, then 0 VFs, then the PF is bound"
agent --inventory "$pf" --devlink "$DEVLINK" --force apply
expect_rc 0 "apply --force"
expect_output "(--force)"
rm -rf "$ROOT/proc/4242"
[ "$(numvfs $PF)" = 0 ] || fail "sriov_numvfs is $(numvfs $PF), not 0"
expect_bound_to_vfio $PF
[ ! -e "$ROOT/etc/driverctl.d/pci-0000:03:02.0" ] || fail "the VF's saved override stays"
vf_line=$(grep -nx "unset-override 0000:03:02.0" "$DRIVERCTL_LOG" | cut -d: -f1)
pf_line=$(grep -nx "set-override $PF vfio-pci" "$DRIVERCTL_LOG" | cut -d: -f1)
[ -n "$vf_line" ] && [ -n "$pf_line" ] && [ "$vf_line" -lt "$pf_line" ] ||
        fail "the VF's override did not go before the PF was bound"
! grep -qF "KERNEL==\"$PF\"" "$RULE" || fail "the boot rule still makes $PF's VFs"
grep -qF 'KERNEL=="0000:0c:00.0"' "$RULE" || fail "the other PF's boot rule went"
[ "$(state_vfs)" = "0000:0c:00.0" ] || fail "the state file still records $PF's VFs"
expect_output "PCI_FILTER for OpenNebula: 8086:1572"

step "a second apply changes nothing"
kernel_removes_vfs
expect_idle_apply again --inventory "$pf" --devlink "$DEVLINK"

step "set_numvfs: 0 (set_driver omit): the VFs go, the PF stays on its driver"
use_root sriov-node
make_vfs
agent --inventory "$zero" --devlink "$DEVLINK" plan
expect_output "$PF  8086:1572  would release onepci enabled 2 VFs"
expect_output "0000:03:02.1  8086:154c  would release"
expect_output "PCI_FILTER for OpenNebula: 0:0"
agent --inventory "$zero" --devlink "$DEVLINK" apply
expect_rc 0 "set_numvfs 0"
[ "$(numvfs $PF)" = 0 ] || fail "sriov_numvfs is not 0"
expect_driver $PF i40e
[ ! -e "$RULE" ] || fail "the boot rule stays"
kernel_removes_vfs
expect_idle_apply again --inventory "$zero" --devlink "$DEVLINK"

step "switchdev onepci set goes back to legacy before the PF is bound"
use_root sriov-node
sw=$(inventory_for_n1 sw.yml '            - address: "0000:0c:00.0"
              set_numvfs: 2
              set_switchdev: true')
agent --inventory "$sw" --devlink "$DEVLINK" apply
expect_rc 0 "switchdev"
grep -qx "dev eswitch set pci/0000:0c:00.0 mode switchdev" "$ROOT/devlink.log" || fail "no switchdev"
bind=$(inventory_for_n1 bind.yml '            - address: "0000:0c:00.0"')
agent --inventory "$bind" --devlink "$DEVLINK" plan
expect_output "first the 2 VFs onepci made go (0 VFs, eswitch back to legacy)"
agent --inventory "$bind" --devlink "$DEVLINK" apply
expect_rc 0 "bind the PF"
grep -qx "dev eswitch set pci/0000:0c:00.0 mode legacy" "$ROOT/devlink.log" || fail "the eswitch stays in switchdev"
[ "$(numvfs 0000:0c:00.0)" = 0 ] || fail "sriov_numvfs is not 0"
expect_bound_to_vfio 0000:0c:00.0
[ ! -e "$RULE" ] || fail "the boot rule stays"

step "pci_devices emptied altogether: the VFs onepci made still go"
use_root sriov-node
only=$(inventory_for_n1 only.yml '            - address: "0000:0c:00.0"
              set_numvfs: 1')
agent --inventory "$only" --devlink "$DEVLINK" apply
expect_rc 0 "1 VF"
[ "$(numvfs 0000:0c:00.0)" = 1 ] || fail "sriov_numvfs is not 1"
empty=$(inventory_for_n1 empty.yml '            []')
agent --inventory "$empty" --devlink "$DEVLINK" apply
expect_rc 0 "emptied"
[ "$(numvfs 0000:0c:00.0)" = 0 ] || fail "the VFs stay when pci_devices is empty"
[ ! -e "$RULE" ] || fail "the boot rule stays"
[ "$(state_vfs)" = "" ] || fail "the state file still records VFs"

step "VFs onepci did not make are never touched"
use_root sriov-node
agent --inventory "$zero" --devlink "$DEVLINK" apply
expect_rc 0 "not onepci's"
[ "$(numvfs $PF)" = 2 ] || fail "VFs onepci did not make were removed"
agent --inventory "$pf" --devlink "$DEVLINK" plan
expect_rc 5 "refused"
expect_output "VFs enabled"
echo "ok"
