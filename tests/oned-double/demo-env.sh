# Sourced by scripts/demo: starts the oned test double and onepci-registrar on
# 127.0.0.1 for the demo node, and shows a host as oned has it.
# shellcheck shell=bash

_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_demo_frontend WORKDIR REGISTRAR_BINARY
# Sets ONE_XMLRPC, ONE_AUTH, ONED_URL, REGISTRAR_URL, NODE_KEY_FILE; appends to pids.
start_demo_frontend() {
    local work="$1" registrar="$2" here
    here="$(dirname "${BASH_SOURCE[0]}")"
    mkdir -p "$work/oned" "$work/remotes/kvm-probes.d" "$work/etc"
    cp "$here/demo-seed.json" "$work/oned/seed.json"
    cp "$here/demo-pci.conf" "$work/remotes/kvm-probes.d/pci.conf"

    python3 "$here/oned_double.py" --seed "$work/oned/seed.json" --port 0 \
        --port-file "$work/oned/port" --state-dir "$work/oned" >/dev/null 2>"$work/oned/log" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$work/oned/port" ] && break; sleep 0.1; done
    ONED_URL="http://127.0.0.1:$(cat "$work/oned/port")/RPC2"
    export ONE_XMLRPC="$ONED_URL"
    echo oneadmin:password > "$work/oned/one_auth"
    export ONE_AUTH="$work/oned/one_auth"
    echo "oned double on $ONED_URL (OpenNebula $(python3 -c "import xmlrpc.client,sys; print(xmlrpc.client.ServerProxy('$ONED_URL').one.system.version('oneadmin:password')[1])"))"

    "$registrar" keygen --secret-file "$work/etc/registrar.secret" >/dev/null
    NODE_KEY_FILE="$work/etc/node.key"
    (umask 077; "$registrar" node-key --secret-file "$work/etc/registrar.secret" n1 > "$NODE_KEY_FILE")

    local port
    port=$(_free_port)
    "$registrar" serve --listen "127.0.0.1:$port" --config /dev/null \
        --secret-file "$work/etc/registrar.secret" --remotes-dir "$work/remotes" \
        --sync-command "$here/onehost sync --force" --forceupdate-pause-ms 0 \
        --inventory tests/fixtures/demo/inventory.yml 2>"$work/registrar.log" &
    pids+=($!)
    REGISTRAR_URL="http://127.0.0.1:$port"
    for _ in $(seq 100); do
        curl -fsS "$REGISTRAR_URL/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "onepci-registrar on $REGISTRAR_URL: $(curl -sS "$REGISTRAR_URL/healthz")"
}

# show_demo_host NAME: the host's state and onepci's template attributes in oned.
show_demo_host() {
    python3 - "$ONED_URL" "$1" <<'PY'
import sys, xmlrpc.client, xml.etree.ElementTree as ET
url, name = sys.argv[1], sys.argv[2]
ok, pool, _ = xmlrpc.client.ServerProxy(url).one.hostpool.info("oneadmin:password")[:3]
states = {0: "INIT", 1: "MONITORING_MONITORED", 2: "MONITORED", 3: "ERROR", 4: "DISABLED", 8: "OFFLINE"}
for h in ET.fromstring(pool).findall("HOST"):
    if h.findtext("NAME") != name:
        continue
    print(f"host {name} (id {h.findtext('ID')}), state {states.get(int(h.findtext('STATE')), h.findtext('STATE'))}")
    for a in h.find("TEMPLATE"):
        if a.tag.startswith(("PCI_", "ONEPCI_")):
            print(f'  {a.tag}="{a.text}"')
    for d in h.findall("HOST_SHARE/PCI_DEVICES/PCI"):
        print(f"  monitored device {d.findtext('SHORT_ADDRESS')} {d.findtext('TYPE')} {d.findtext('DEVICE_NAME') or ''}")
PY
    echo "probe filter now: $(grep '^:filter' "$work/remotes/kvm-probes.d/pci.conf")"
}
