#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What the agent does with a registrar's answer (issue 12 items 9 and 12),
# against fake-registrar.py on loopback: an unsigned or badly signed answer is
# not believed, and a signed one's text reaches the terminal, the JSON output
# and the journal with its control characters escaped.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
printf '%s\n' "$KEY" > "$WORK/node.key"
chmod 0600 "$WORK/node.key"
SERVER_PID=

start_registrar() {
        stop_registrar
        rm -f -- "$WORK/port"
        python3 "$(dirname -- "$0")/fake-registrar.py" "$KEY" "$1" "$WORK/port" &
        SERVER_PID=$!
        for _ in $(seq 100); do
                [ -e "$WORK/port" ] && break
                sleep 0.1
        done
        [ -e "$WORK/port" ] || fail "the fake registrar did not start"
        URL=http://127.0.0.1:$(cat -- "$WORK/port")
}

stop_registrar() {
        if [ -n "$SERVER_PID" ]; then
                kill "$SERVER_PID" 2>/dev/null || true
                wait "$SERVER_PID" 2>/dev/null || true
                SERVER_PID=
        fi
}
trap 'stop_registrar; rm -rf -- "$WORK"' EXIT

# register ARGS...: the register command against URL, bounded in time.
register() {
        set +e
        # shellcheck disable=SC2086 # the wrapper is a command line
        timeout 60 ${ONEPCI_TEST_WRAPPER:-} "$AGENT" --root "$ROOT" --driverctl "$FAKE" \
                --inventory "$INVENTORY" --host n1 --registrar "$URL" --key-file "$WORK/node.key" \
                --deadline 0 "$@" register >"$WORK/out" 2>"$WORK/err"
        RC=$?
        set -e
        OUT=$(cat -- "$WORK/out")
        ERR=$(cat -- "$WORK/err")
}

# no_raw_controls FILE: no control byte but newline in FILE (and no C1 as UTF-8).
no_raw_controls() {
        python3 - "$1" <<'PY' || fail "raw control characters in $1"
import sys
data = open(sys.argv[1], "rb").read()
bad = [b for b in data if (b < 0x20 and b != 0x0a) or b == 0x7f]
assert not bad, bad
assert b"\xc2\x9b" not in data and b"\x9b" not in data.replace(b"\xc2\x9b", b"")
PY
}

step "the node applied (register then reports no drift)"
agent apply
expect_rc 0 "apply"

step "a signed answer's text is escaped in the text output"
start_registrar escapes
register
expect_rc 0 "signed answer"
expect_output 'registration: done'
expect_output 'OpenNebula host 192.168.122.3\x1b]0;owned\x07\x1b[2J (id 3)'
expect_output 'PCI_FILTER="10de:26b9\nonepci-agent: registration: done"'
expect_output 'PCI_SHORT_ADDRESS="09:00.0\xc2\x9b31m"'
no_raw_controls "$WORK/out"
no_raw_controls "$WORK/err"

step "and in the JSON output"
register --json
expect_rc 0 "signed answer, --json"
no_raw_controls "$WORK/out"
python3 - "$WORK/out" <<'PY' || fail "--json"
import json, sys
o = json.load(open(sys.argv[1]))
m = o["registration"]["message"]
assert o["registration"]["ok"] is True, o
assert "\x1b" not in m and "\n" not in m and "\x9b" not in m, m
assert "\\x1b]0;owned" in m, m
PY

step "an unsigned answer is not believed"
start_registrar unsigned
register
expect_rc 9 "unsigned answer"
expect_output "registration: FAILED"
expect_output "unsigned (no X-Onepci-Signature signature)"
expect_no_output "owned"

step "nor one signed with another key"
start_registrar badsig
register
expect_rc 9 "badly signed answer"
expect_output "signature does not verify"
expect_no_output "owned"

step "fetch-inventory writes nothing it cannot verify"
for mode in unsigned badsig; do
        start_registrar "$mode"
        set +e
        timeout 60 "$AGENT" --host n1 --registrar "$URL" --key-file "$WORK/node.key" \
                --deadline 0 --output "$WORK/fetched.yml" fetch-inventory >"$WORK/out" 2>"$WORK/err"
        RC=$?
        set -e
        OUT=$(cat -- "$WORK/out")
        ERR=$(cat -- "$WORK/err")
        expect_rc 9 "fetch-inventory, $mode"
        [ ! -e "$WORK/fetched.yml" ] || fail "fetch-inventory wrote an answer it could not verify"
done
stop_registrar
echo "ok"
