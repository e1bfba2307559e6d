#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A bad inventory fails with exit 3, names file:line, and leaves the root
# byte for byte as it was.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

# bad NAME TEXT: the inventory on stdin is rejected at the line holding
# MARK (a fixed string) with a message containing TEXT.
bad() {
        local name=$1 mark=$2 text=$3 inv line before
        inv=$(inventory_file "$name.yml")
        line=$(grep -nF -- "$mark" "$inv" | head -n 1 | cut -d: -f1)
        [ -n "$line" ] || fail "test bug: no \"$mark\" in $name"
        before=$(root_listing)
        for cmd in plan apply check; do
                agent --inventory "$inv" "$cmd"
                expect_rc 3 "$name: $cmd"
                expect_output "$inv:$line:"
                expect_output "$text"
        done
        agent --inventory "$inv" --json apply
        expect_rc 3 "$name: apply --json"
        python3 - "$WORK/out" "$inv:$line:" <<'PY' || fail "$name: --json"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["exit_code"] == 3, o
assert o["changed"] is False, o
assert any(sys.argv[2] in e for e in o["errors"]), o
PY
        [ "$(root_listing)" = "$before" ] || fail "$name: the root changed"
        [ "$(log_lines)" -eq 0 ] || fail "$name: driverctl ran"
}

step "a short address is refused with the full form to use"
bad short-address '"09:00.0"' "0000:09:00.0" <<'EOF2'
node:
  hosts:
    n1:
      pci_devices:
        - address: "0000:0a:00.0"
        - address: "09:00.0"
EOF2

step "broken YAML"
bad bad-yaml 'bad: indent' "YAML" <<'EOF2'
node:
  hosts:
    n1:
      pci_devices:
        - address: "0000:09:00.0"
       bad: indent
      ansible_host: 192.168.122.3
EOF2

step "an unknown key in a pci_devices entry"
bad unknown-key 'adress' "adress" <<'EOF2'
node:
  hosts:
    n1:
      pci_devices:
        - address: "0000:09:00.0"
        - adress: "0000:0a:00.0"
EOF2

step "set_driver with a bogus value"
bad bogus-driver 'vfio pci' "driver name" <<'EOF2'
node:
  hosts:
    n1:
      pci_devices:
        - address: "0000:09:00.0"
          set_driver: "vfio pci"
EOF2

step "a missing inventory is a config error too"
agent --inventory "$WORK/does-not-exist.yml" apply
expect_rc 3 "missing inventory"
expect_output "does-not-exist.yml"

# A FIFO with no writer in the place of the inventory or the key file (issue
# 12 item 10): refused at once, never waited on (timeout's 124 would say so).
bounded_agent() {
        ONEPCI_TEST_WRAPPER="timeout 20 ${ONEPCI_TEST_WRAPPER:-}" agent "$@"
}
mkfifo -m 0600 "$WORK/fifo.yml"
step "a FIFO as the inventory"
for cmd in plan apply check; do
        bounded_agent --inventory "$WORK/fifo.yml" "$cmd"
        expect_rc 3 "FIFO inventory: $cmd"
        expect_output "fifo.yml: not a regular file"
done

# The same for the files read beside it: a host_vars file, a file in a
# group_vars directory (read as Ansible does: not skipped).
mkdir -p "$WORK/vars-fifo/host_vars" "$WORK/vars-fifo/group_vars/node"
cat > "$WORK/vars-fifo/inventory.yml" <<'EOF2'
node:
  hosts:
    n1:
EOF2
for fifo in host_vars/n1.yml group_vars/node/a.yml; do
        step "a FIFO as $fifo"
        mkfifo -m 0600 "$WORK/vars-fifo/$fifo"
        bounded_agent --inventory "$WORK/vars-fifo/inventory.yml" plan
        expect_rc 3 "FIFO $fifo"
        expect_output "$WORK/vars-fifo/$fifo: not a regular file"
        rm -- "$WORK/vars-fifo/$fifo"
done

step "a FIFO as the key file"
bounded_agent --key-file "$WORK/fifo.yml" --registrar http://127.0.0.1:9 --output "$WORK/got.yml" \
        fetch-inventory
expect_rc 9 "FIFO key file"
expect_output "not a regular file"
[ ! -e "$WORK/got.yml" ] || fail "an inventory was written"

step "a key file its group may read"
printf '%064d\n' 0 > "$WORK/node.key"
chmod 0640 "$WORK/node.key"
bounded_agent --key-file "$WORK/node.key" --registrar http://127.0.0.1:9 \
        --output "$WORK/got.yml" fetch-inventory
expect_rc 9 "0640 key file"
expect_output "chmod 0600"
echo "ok"

# A value quoted in a message is escaped: an ESC written into the inventory as
# a YAML escape never reaches the terminal or the journal as one.
step "control characters in a refused value are escaped"
inv=$WORK/esc.yml
cat > "$inv" <<'EOF2'
node:
  hosts:
    n1:
      pci_devices:
        - address: "0000:09:00.0"
          set_driver: "vfio\e]0;owned\apci"
EOF2
agent --inventory "$inv" plan
expect_rc 3 "escaped value"
expect_output 'vfio\x1b]0;owned\x07pci'
! cat -- "$WORK/out" "$WORK/err" | grep -q $'\033' || fail "an ESC byte reached the agent's output"
