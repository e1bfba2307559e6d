#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# apply binds n1's two GPUs on a copy of the demo node; a second apply changes
# nothing and runs no driverctl; check notices drift; apply repairs it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

RULE=$ROOT/etc/udev/rules.d/99-vfio.rules
STATE=$ROOT/var/lib/onepci/state.json

step "plan changes nothing"
before=$(root_listing)
agent plan
expect_rc 0 "plan"
expect_output "0000:09:00.0"
expect_output "would bind"
[ "$(root_listing)" = "$before" ] || fail "plan changed the root"
[ "$(log_lines)" -eq 0 ] || fail "plan ran driverctl"

step "apply binds both devices"
agent apply
expect_rc 0 "first apply"
expect_bound_to_vfio 0000:09:00.0
expect_bound_to_vfio 0000:0a:00.0
expect_driver 0000:0b:00.0 nvidia
expect_driver 0000:03:00.0 i40e
[ -e "$ROOT/dev/vfio/13" ] || fail "no /dev/vfio/13"
[ -e "$ROOT/dev/vfio/14" ] || fail "no /dev/vfio/14"
[ "$(log_lines)" -eq 2 ] || fail "$(log_lines) driverctl runs, expected 2"
grep -qx "set-override 0000:09:00.0 vfio-pci" "$DRIVERCTL_LOG" || fail "09:00.0 not set"
grep -qx "set-override 0000:0a:00.0 vfio-pci" "$DRIVERCTL_LOG" || fail "0a:00.0 not set"
expect_output "changes applied"
expect_output "10de:26b9"
expect_output "skipped"

step "apply wrote the udev rule"
[ -f "$RULE" ] || fail "no $RULE"
[ "$(stat -c %a "$RULE")" = 644 ] || fail "rule mode $(stat -c %a "$RULE")"
grep -qx 'SUBSYSTEM=="vfio", GROUP="kvm", MODE="0660"' "$RULE" || fail "rule content"
expect_output "oneadmin is not in group kvm"

step "apply recorded the state with the inventory's digest"
python3 - "$STATE" "$(sha256sum < "$INVENTORY" | cut -d' ' -f1)" <<'PY' || fail "state file"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["schema"] == 1, s
assert s["host"] == "n1", s
assert s["inventory_sha256"] == sys.argv[2], s
assert s["applied_at"].endswith("Z"), s
PY
[ "$(stat -c %a "$STATE")" = 644 ] || fail "state file mode"

step "a second apply changes nothing and says so"
before=$(root_listing)
agent apply
expect_rc 0 "second apply"
expect_output "already configured, nothing changed"
expect_no_output "changes applied"
[ "$(log_lines)" -eq 2 ] || fail "the second apply ran driverctl"
[ "$(root_listing)" = "$before" ] || fail "the second apply changed the root"

step "plan and check after apply change nothing"
agent plan
expect_rc 0 "plan"
expect_no_output "would bind"
agent check
expect_rc 0 "check"
[ "$(root_listing)" = "$before" ] || fail "plan or check changed the root"

step "--json output parses"
for cmd in plan apply check; do
        agent --json "$cmd"
        expect_rc 0 "$cmd --json"
        python3 -m json.tool < "$WORK/out" > /dev/null || fail "$cmd --json is not JSON"
done

step "check exits 8 after a device was unbound behind its back"
"$FAKE" unset-override 0000:0a:00.0
expect_driver 0000:0a:00.0 nvidia
lines=$(log_lines)
agent check
expect_rc 8 "check after unset-override"
expect_output "0000:0a:00.0"
expect_no_output "0000:09:00.0 is on"
[ "$(log_lines)" -eq "$lines" ] || fail "check ran driverctl"

step "apply repairs only the drifted device"
agent apply
expect_rc 0 "repairing apply"
expect_bound_to_vfio 0000:0a:00.0
[ "$(log_lines)" -eq $((lines + 1)) ] || fail "repair ran driverctl $(($(log_lines) - lines)) times"
[ "$(tail -n 1 "$DRIVERCTL_LOG")" = "set-override 0000:0a:00.0 vfio-pci" ] || fail "repaired what?"
agent check
expect_rc 0 "check after repair"

step "a changed udev rule is drift, and apply rewrites it"
echo 'SUBSYSTEM=="vfio", MODE="0666"' > "$RULE"
agent check
expect_rc 8 "check with an edited rule"
expect_output "99-vfio.rules"
agent apply
expect_rc 0 "apply over an edited rule"
grep -qx 'SUBSYSTEM=="vfio", GROUP="kvm", MODE="0660"' "$RULE" || fail "rule not restored"
agent check
expect_rc 0 "check after the rule was restored"
echo "ok"
