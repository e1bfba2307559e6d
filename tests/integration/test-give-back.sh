#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Giving back: the state file records the overrides onepci set; when the
# inventory no longer asks for one, `plan` shows "would release", `check`
# reports drift, `apply` runs driverctl unset-override (the host driver comes
# back, the saved override goes) and the PCI_FILTER narrows.  Never what
# onepci did not do; never while a process holds /dev/vfio/N, unless --force.
. "$(dirname "$0")/lib.sh"

both=$(inventory_for_n1 both.yml '            - address: "0000:09:00.0"
            - address: "0000:0a:00.0"')
one=$(inventory_for_n1 one.yml '            - address: "0000:09:00.0"')
none=$(inventory_for_n1 none.yml '            - address: "0000:0b:00.0"
              excluded: true')

step "apply binds two devices and records them as onepci's"
agent --inventory "$both" apply
expect_rc 0 "apply"
expect_bound_to_vfio 0000:0a:00.0
python3 - "$ROOT/var/lib/onepci/state.json" <<'PY' || fail "state file"
import json, sys
o = json.load(open(sys.argv[1]))["owned"]["overrides"]
assert sorted(e["address"] for e in o) == ["0000:09:00.0", "0000:0a:00.0"], o
assert all(e["driver"] == "vfio-pci" for e in o), o
PY

step "an override onepci did not set is never touched"
# Someone else's override on the A4000's audio function.
"$FAKE" set-override 0000:0b:00.1 vfio-pci >/dev/null
expect_bound_to_vfio 0000:0b:00.1

step "plan shows 'would release'; check reports drift; nothing changes"
before=$(root_listing)
agent --inventory "$one" plan
expect_rc 0 "plan"
expect_output "0000:0a:00.0  10de:26b9  would release"
expect_output "PCI_FILTER for OpenNebula: 10de:26b9"
agent --inventory "$one" check
expect_rc 8 "check"
expect_output "0000:0a:00.0 would be given back"
[ "$before" = "$(root_listing)" ] || fail "plan/check changed the root"

step "a process holding /dev/vfio/14 stops the release, named with its command line"
mkdir -p "$ROOT/proc/4242/fd"
ln -s /dev/vfio/14 "$ROOT/proc/4242/fd/23"
printf 'qemu-system-x86_64\0-name\0guest=one-42,debug-threads=on\0' >"$ROOT/proc/4242/cmdline"
n=$(log_lines)
agent --inventory "$one" apply
expect_rc 6 "held"
expect_output "/dev/vfio/14 is held by PID 4242 (qemu-system-x86_64 -name guest=one-42,debug-threads=on)"
[ "$(log_lines)" -eq "$n" ] || fail "driverctl ran although the device is held"
expect_bound_to_vfio 0000:0a:00.0

step "apply gives it back once nothing holds it"
rm -rf "$ROOT/proc/4242"
agent --inventory "$one" --json apply
expect_rc 0 "release"
grep -qx "unset-override 0000:0a:00.0" "$DRIVERCTL_LOG" || fail "no unset-override"
expect_driver 0000:0a:00.0 nvidia
[ ! -e "$ROOT/etc/driverctl.d/pci-0000:0a:00.0" ] || fail "the saved override stayed"
python3 - "$WORK/out" "$ROOT/var/lib/onepci/state.json" <<'PY' || fail "report / state"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["pci_filter"] == "10de:26b9", r["pci_filter"]
o = json.load(open(sys.argv[2]))["owned"]["overrides"]
assert [e["address"] for e in o] == ["0000:09:00.0"], o
PY
expect_bound_to_vfio 0000:0b:00.1

step "a second apply changes nothing"
n=$(log_lines)
agent --inventory "$one" apply
expect_rc 0 "again"
[ "$(log_lines)" -eq "$n" ] || fail "driverctl ran again"

step "--force gives back a held device; an emptied list gives back the rest"
mkdir -p "$ROOT/proc/77/fd"
ln -s /dev/vfio/13 "$ROOT/proc/77/fd/5"
printf 'qemu\0' >"$ROOT/proc/77/cmdline"
agent --inventory "$none" apply
expect_rc 6 "held without --force"
agent --inventory "$none" --force apply
expect_rc 0 "--force"
expect_output "(--force)"
expect_driver 0000:09:00.0 nvidia
expect_output "PCI_FILTER for OpenNebula: 0:0"
expect_bound_to_vfio 0000:0b:00.1

step "pci_devices emptied altogether: what onepci set is still given back"
rm -rf "$ROOT/proc/77"
agent --inventory "$one" apply
expect_rc 0 "bind again"
expect_bound_to_vfio 0000:09:00.0
empty=$(inventory_for_n1 empty.yml '            []')
agent --inventory "$empty" plan
expect_output "0000:09:00.0  10de:26b9  would release"
agent --inventory "$empty" apply
expect_rc 0 "empty"
expect_driver 0000:09:00.0 nvidia
expect_bound_to_vfio 0000:0b:00.1
agent --inventory "$empty" apply
expect_rc 0 "empty, again"
expect_output "nothing to do"
echo "ok"
