#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The host side of the VM suite's step 5: the oned test double and the built
# onepci-registrar on 127.0.0.1, which the guest reaches only through QEMU's
# guestfwd (10.0.2.100:8474 -> relay.py -> 127.0.0.1:PORT).
#
# usage: registrar-side.sh OUT start BUILD_DIR
#          starts both in the background; prints "PORT PID PID" on stdout and
#          leaves the guest's node key in OUT/registrar/node.key.  Prints
#          nothing and exits 0 when the registrar is not built (step 5 is
#          then skipped); exits 1 when it is built but does not come up.
#        registrar-side.sh OUT verify BUILD_DIR
#          checks the double's state: the guest's host (10.0.2.15) ends with
#          PCI_FILTER="8086:10d3" and PCI_SHORT_ADDRESS naming exactly the two
#          devices passed through (the other two e1000e are their twins).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
double_dir=$(cd "$here/../oned-double" && pwd)
out=$1 cmd=$2 build=$3
work=$out/registrar
registrar=${ONEPCI_VM_REGISTRAR:-$build/registrar/onepci-registrar}

# shellcheck source-path=SCRIPTDIR source=../oned-double/seed.sh
. "$double_dir/seed.sh"
free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case $cmd in
start)
        [ -x "$registrar" ] || exit 0
        rm -rf "$work"
        mkdir -p "$work/oned" "$work/remotes/kvm-probes.d" "$work/etc"
        # The guest's devices (run-vm-test.sh puts the NICs on root ports 1-4).
        oned_seed 10.0.2.15 0000:0{1,2,3,4}:00.0=8086:10d3:020000 > "$work/oned/seed.json"
        cp "$double_dir/demo-pci.conf" "$work/remotes/kvm-probes.d/pci.conf"
        python3 "$double_dir/oned_double.py" --seed "$work/oned/seed.json" --port 0 \
                --port-file "$work/oned/port" --state-dir "$work/oned" \
                >/dev/null 2>"$work/oned/log" </dev/null &
        oned_pid=$!
        for _ in $(seq 100); do [ -s "$work/oned/port" ] && break; sleep 0.1; done
        if [ ! -s "$work/oned/port" ]; then
                echo "registrar-side: the oned double did not start: $(cat "$work/oned/log")" >&2
                kill $oned_pid 2>/dev/null
                exit 1
        fi
        export ONE_XMLRPC="http://127.0.0.1:$(cat "$work/oned/port")/RPC2"
        echo oneadmin:password > "$work/oned/one_auth"
        export ONE_AUTH="$work/oned/one_auth"
        "$registrar" keygen --secret-file "$work/etc/registrar.secret" >/dev/null || exit 1
        (umask 077; "$registrar" node-key --secret-file "$work/etc/registrar.secret" vmnode \
                > "$work/node.key") || exit 1
        port=$(free_port)
        "$registrar" serve --listen "127.0.0.1:$port" --config /dev/null \
                --secret-file "$work/etc/registrar.secret" --remotes-dir "$work/remotes" \
                --sync-command "$double_dir/onehost sync --force" --forceupdate-pause-ms 0 -v \
                >"$work/registrar.log" 2>&1 </dev/null &
        reg_pid=$!
        for _ in $(seq 100); do
                curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
                sleep 0.1
        done
        if ! curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
                echo "registrar-side: the registrar did not come up: $(tail -n5 "$work/registrar.log")" >&2
                kill $reg_pid $oned_pid 2>/dev/null
                exit 1
        fi
        echo "$port $oned_pid $reg_pid"
        ;;
verify)
        python3 - "$work/oned/state.json" <<'PY'
import json, sys
try:
    state = json.load(open(sys.argv[1]))
except OSError as e:
    print(f"no state from the oned double: {e}"); sys.exit(1)
host = next((h for h in state.get("hosts", []) if h.get("name") == "10.0.2.15"), None)
if host is None:
    print("host 10.0.2.15 not in the double's state"); sys.exit(1)
t = host.get("template", {})
f, s = t.get("PCI_FILTER"), t.get("PCI_SHORT_ADDRESS")
short = sorted(x.strip() for x in (s or "").split(",") if x.strip())
ok = f == "8086:10d3" and short == ["02:00.0", "03:00.0"]
print(f'host 10.0.2.15 PCI_FILTER="{f}" PCI_SHORT_ADDRESS="{s}" state={host.get("state")}'
      + ("" if ok else ' (expected PCI_FILTER="8086:10d3" PCI_SHORT_ADDRESS="02:00.0,03:00.0")'))
sys.exit(0 if ok else 1)
PY
        ;;
*)
        echo "usage: registrar-side.sh OUT start|verify BUILD_DIR" >&2
        exit 2
        ;;
esac
