#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The system suite: a full Debian 12 guest under QEMU, first and second boot.
#
# usage: run-system-test.sh SRCDIR BUILDDIR
#
#  1. builds the onepci-agent .deb from the working tree
#     (packaging/build-packages.sh, deb only, without lintian: the packaging
#     suite runs it);
#  2. takes the cached debootstrap root (build-root.sh; BUILDDIR/system),
#     installs the .deb into a copy with dpkg (the units get enabled the
#     Debian way), bakes in the inventory (the image way of use) and a small
#     reporter unit, and makes an ext4 disk with mkfs.ext4 -d (no loop mount);
#  3. a NoCloud seed from cloud-init/image.yaml (the key and the registrar's
#     URL filled in), made by cloud-localds;
#  4. on the host's loopback: the oned double and the built registrar, which
#     the guest reaches only through guestfwd (restrict=on user networking);
#  5. boots it twice (q35, emulated Intel IOMMU, two e1000e NICs on PCIe root
#     ports: 01:00.0 carries the default route, 02:00.0 is passed through;
#     an SR-IOV NVMe controller at 03:00.0 with set_numvfs: 2, its VFs
#     passed through) and checks the evidence the reporter prints on the
#     serial console.  On the second boot a drop-in on the agent's unit
#     records, just before the agent starts, that the VFs are back (made by
#     the agent's udev rule when nvme bound the PF) and already on vfio-pci
#     (driverctl's saved overrides replayed by its own udev rule and unit).
#
# ONEPCI_SYSTEM_BREAK=sriov-rule removes the agent's SR-IOV udev rule at the
# end of the first boot: the second boot's checks must then fail (the proof
# that they see the rule's work and not the agent's).
#
# Exit 77 (skip) with the reason when a tool, root, or the .deb is missing.
# When the registrar is not built the local part is still checked; the run
# then ends with 77 and says that registration was not proven.
set -uo pipefail

src=$(cd "${1:?usage: run-system-test.sh SRCDIR BUILDDIR}" && pwd)
build=$(cd "${2:?usage: run-system-test.sh SRCDIR BUILDDIR}" && pwd)
here=$src/tests/system
out=$build/system
mkdir -p "$out"
boot_timeout=${ONEPCI_SYSTEM_BOOT_TIMEOUT:-900}
dev=0000:02:00.0
pf=0000:03:00.0
vfs="0000:03:00.1 0000:03:00.2"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || skip "the system suite needs root (debootstrap, chroot, dpkg into the guest root)"
for t in debootstrap qemu-system-x86_64 cloud-localds mkfs.ext4 zstd dpkg-buildpackage chroot python3; do
        command -v "$t" >/dev/null || skip "$t not found (see scripts/packages.txt: debootstrap, qemu-system-x86, cloud-image-utils, e2fsprogs, zstd, dpkg-dev)"
done

# --- 1. the .deb ---------------------------------------------------------------
echo "system: building onepci-agent .deb ($(elapsed))"
if ! ONEPCI_PACKAGES=deb ONEPCI_NO_LINTIAN=1 "$src/packaging/build-packages.sh" "$src" "$out/packages" \
        >"$out/packages.log" 2>&1; then
        tail -n 15 "$out/packages.log"
        skip "the onepci-agent .deb could not be built (log: $out/packages.log; the packaging suite reports why)"
fi
deb=$(ls "$out"/packages/onepci-agent_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || skip "no onepci-agent .deb in $out/packages"

# --- 2. the root and the disk ------------------------------------------------------
echo "system: Debian root ($(elapsed))"
tarball=$("$here/build-root.sh" "$out") || skip "the Debian root could not be built (debootstrap needs the Debian mirror; log: $out/debootstrap.log)"
g=$out/guest-root
rm -rf "$g"
mkdir -p "$g"
zstd -q -d -c "$tarball" | tar --numeric-owner --xattrs -C "$g" -xf - || { echo "FAIL: unpacking $tarball"; exit 1; }
cp "$deb" "$g/tmp/"
if ! chroot "$g" dpkg -i "/tmp/$(basename "$deb")" >"$out/dpkg.log" 2>&1; then
        cat "$out/dpkg.log"
        echo "FAIL: dpkg -i $(basename "$deb") in the guest root"
        exit 1
fi
rm -f "$g/tmp/$(basename "$deb")"
for u in onepci-agent-apply onepci-agent-register; do
        [ -L "$g/etc/systemd/system/multi-user.target.wants/$u.service" ] ||
                { echo "FAIL: the package did not enable $u.service"; exit 1; }
done

# The image way of use: the image carries the inventory (the nodes' parts,
# never one_pass); cloud-init brings the node's key and the registrar URL.
mkdir -p "$g/etc/onepci"
cat > "$g/etc/onepci/inventory.yml" <<INV
# Baked into the image by the system suite: node parts only.
node:
  hosts:
    n1:
      ansible_host: 10.0.2.15
      pci_passthrough_enabled: true
      pci_devices:
        - address: "$dev"
        # QEMU's NVMe VFs have the PF's ids: the broad entry first, the
        # PF's last (the last matching entry wins; the PF keeps nvme).
        - vendor: "1b36"
          device: "0010"
          virtual: true
        - address: "$pf"
          set_numvfs: 2
INV
# The minimal root has no locales package: cloud-init's locale module would
# fail cloud-config.service, which the test requires to succeed.
printf 'locale: false\n' > "$g/etc/cloud/cloud.cfg.d/91-onepci-systest.cfg"
install -m 0755 "$here/guest/onepci-systest-report" "$g/usr/local/sbin/onepci-systest-report"
install -m 0644 "$here/guest/onepci-systest.service" "$g/etc/systemd/system/onepci-systest.service"
install -m 0755 "$here/guest/onepci-systest-before-agent" "$g/usr/local/sbin/onepci-systest-before-agent"
install -D -m 0644 "$here/guest/onepci-systest-before-agent.conf" \
        "$g/etc/systemd/system/onepci-agent-apply.service.d/onepci-systest.conf"
ln -sf /etc/systemd/system/onepci-systest.service "$g/etc/systemd/system/multi-user.target.wants/onepci-systest.service"

guest_disk "$g" "$out" || { echo "FAIL: mkfs.ext4 -d"; exit 1; }

# --- 4. the registrar side ------------------------------------------------------------
pids=()
cleanup() {
        local p
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT
registrar=$build/registrar/onepci-registrar
double=$src/tests/oned-double
relay=$src/tests/vm/relay.py
reg=$out/registrar
register=0
key=NO-REGISTRAR-IN-THIS-BUILD
guestfwd=
why_no_register=
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ ! -x "$registrar" ]; then
        why_no_register="onepci-registrar is not built in $build"
elif [ ! -f "$double/oned_double.py" ] || [ ! -f "$relay" ]; then
        why_no_register="the oned double or tests/vm/relay.py is missing"
else
        rm -rf "$reg"
        mkdir -p "$reg/oned" "$reg/remotes/kvm-probes.d" "$reg/etc"
        # The SR-IOV NVMe controller and its two VFs (same ids: twins).
        # shellcheck disable=SC2086
        oned_seed 10.0.2.15 $e1000e_pair 0000:03:00.0=1b36:0010:010802 \
                0000:03:00.1=1b36:0010:010802 0000:03:00.2=1b36:0010:010802 > "$reg/oned/seed.json"
        cp "$double/demo-pci.conf" "$reg/remotes/kvm-probes.d/pci.conf" 2>/dev/null || true
        python3 "$double/oned_double.py" --seed "$reg/oned/seed.json" --port 0 \
                --port-file "$reg/oned/port" --state-dir "$reg/oned" \
                >/dev/null 2>"$reg/oned/log" </dev/null &
        pids+=($!)
        for _ in $(seq 100); do [ -s "$reg/oned/port" ] && break; sleep 0.1; done
        export ONE_XMLRPC="http://127.0.0.1:$(cat "$reg/oned/port" 2>/dev/null)/RPC2"
        echo oneadmin:password > "$reg/oned/one_auth"
        export ONE_AUTH="$reg/oned/one_auth"
        port=$(free_port)
        if [ -s "$reg/oned/port" ] &&
           "$registrar" keygen --secret-file "$reg/etc/registrar.secret" >/dev/null 2>"$reg/keygen.log" &&
           key=$("$registrar" node-key --secret-file "$reg/etc/registrar.secret" n1 2>>"$reg/keygen.log"); then
                "$registrar" serve --listen "127.0.0.1:$port" --config /dev/null \
                        --secret-file "$reg/etc/registrar.secret" --remotes-dir "$reg/remotes" \
                        --sync-command "$double/onehost sync --force" -v \
                        >"$reg/registrar.log" 2>&1 </dev/null &
                pids+=($!)
                for _ in $(seq 100); do
                        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
                        sleep 0.1
                done
                if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
                        register=1
                        guestfwd=",guestfwd=tcp:10.0.2.100:8474-cmd:$relay 127.0.0.1 $port"
                else
                        why_no_register="the registrar did not come up: $(tail -n3 "$reg/registrar.log")"
                fi
        else
                why_no_register="the oned double or registrar keygen/node-key failed: $(cat "$reg/oned/log" "$reg/keygen.log" 2>/dev/null | tail -n3)"
        fi
fi
[ $register = 1 ] || echo "system: registration will not be proven: $why_no_register"

# --- 3. the NoCloud seed from the image example -----------------------------------------------
sed -e "s|REPLACE-WITH-THE-OUTPUT-OF-onepci-registrar-node-key-n1|$key|" \
    -e "s|https\?://192.168.122.2:8474|http://10.0.2.100:8474|" \
    "$src/cloud-init/image.yaml" > "$out/user-data"
grep -q "$key" "$out/user-data" || { echo "FAIL: cloud-init/image.yaml has no key placeholder to fill"; exit 1; }
grep -q "http://10.0.2.100:8474" "$out/user-data" ||
        { echo "FAIL: cloud-init/image.yaml has no registrar URL to point at the test's registrar"; exit 1; }
printf 'instance-id: onepci-systest-1\nlocal-hostname: n1\n' > "$out/meta-data"
cloud-localds "$out/seed.img" "$out/user-data" "$out/meta-data" || { echo "FAIL: cloud-localds"; exit 1; }

# --- 5. two boots -------------------------------------------------------------------------------
boot() { # boot N: console into $out/bootN.log
        local n=$1 log=$out/boot$1.log append=
        # no_timer_check: on a loaded host TCG is slow enough for the kernel's
        # early check of the timer through the remapped IO-APIC to fail, and
        # it panics ("timer doesn't work through Interrupt-remapped IO-APIC").
        [ "$n" != 1 ] || [ -z "${ONEPCI_SYSTEM_BREAK:-}" ] || append=" onepci.break=$ONEPCI_SYSTEM_BREAK"
        echo "system: boot $n ($(elapsed)), console in $log, at most $boot_timeout s"
        timeout --kill-after=10 "$boot_timeout" qemu-system-x86_64 \
                -nodefaults -no-reboot -display none -monitor none -serial stdio \
                -machine q35,kernel-irqchip=split,accel=tcg -cpu max -smp 1 -m 1024 \
                -device intel-iommu,intremap=on,caching-mode=on \
                -drive "file=$out/disk.raw,format=raw,if=virtio" \
                -drive "file=$out/seed.img,format=raw,if=virtio,readonly=on" \
                -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x11 \
                -netdev "user,id=n1,restrict=on$guestfwd" \
                -device e1000e,netdev=n1,bus=rp1,mac=52:54:00:0f:00:01 \
                -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x12 \
                -netdev user,id=n2,restrict=on \
                -device e1000e,netdev=n2,bus=rp2,mac=52:54:00:0f:00:02 \
                -device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x13 \
                -device nvme-subsys,id=s0,nqn=s0 \
                -device nvme,serial=onepci0,bus=rp3,subsys=s0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=8,max_ioqpairs=12,msix_qsize=12 \
                -kernel "$out/vmlinuz" -initrd "$out/initrd.img" \
                -append "root=LABEL=onepci-root rw console=ttyS0 intel_iommu=on panic=-1 no_timer_check$append" \
                </dev/null >"$log" 2>&1
        local rc=$?
        tr -d '\r' < "$log" | grep '^ONEPCI-SYS ' > "$out/boot$n.markers"
        echo "system: boot $n ended (qemu $rc) after $(elapsed)"
        return 0
}

fail=()
rm -f "$out"/boot[12].markers # a boot that does not happen shows nothing stale
m() { grep -E "^ONEPCI-SYS $2" "$out/boot$1.markers" 2>/dev/null; }
check_common() { # checks true on every boot
        local n=$1
        m "$n" END >/dev/null || { fail+=("boot $n: no END marker (guest hung or crashed; see $out/boot$n.log)"); return; }
        m "$n" "UNIT onepci-agent-apply active success 0" >/dev/null ||
                fail+=("boot $n: onepci-agent-apply.service: $(m "$n" 'UNIT onepci-agent-apply')")
        local d
        for d in $dev $vfs; do
                m "$n" "DRIVER $d vfio-pci$" >/dev/null || fail+=("boot $n: $d is not on vfio-pci: $(m "$n" "DRIVER $d")")
                m "$n" "OVERRIDE $d vfio-pci$" >/dev/null || fail+=("boot $n: $(m "$n" "OVERRIDE $d")")
                m "$n" "SAVED $d vfio-pci$" >/dev/null ||
                        fail+=("boot $n: driverctl did not save the override: $(m "$n" "SAVED $d")")
        done
        m "$n" "PF $pf nvme 2$" >/dev/null || fail+=("boot $n: the PF is not on nvme with 2 VFs: $(m "$n" PF)")
        m "$n" "SRIOV-RULE .*KERNEL==\"$pf\".*ATTR\{sriov_numvfs\}=\"2\"" >/dev/null ||
                fail+=("boot $n: no SR-IOV udev rule for $pf: $(m "$n" SRIOV-RULE)")
        m "$n" "VERIFY-RC 0$" >/dev/null ||
                fail+=("boot $n: systemd-analyze verify of the onepci units: $(m "$n" VERIFY | head -n3 | tr '\n' ' ')")
        m "$n" 'VFIO [0-9]+ kvm 660$' >/dev/null || fail+=("boot $n: /dev/vfio/N not kvm 0660: $(m "$n" VFIO)")
        m "$n" 'RULE .*SUBSYSTEM=="vfio"' >/dev/null || fail+=("boot $n: no udev rule: $(m "$n" RULE)")
        m "$n" 'KEY root 600$' >/dev/null || fail+=("boot $n: node key: $(m "$n" KEY)")
        m "$n" 'DRIVER0 0000:01:00.0 e1000e ' >/dev/null || fail+=("boot $n: the node's own NIC: $(m "$n" DRIVER0)")
        ! m "$n" FAILED >/dev/null || fail+=("boot $n: failed units: $(m "$n" FAILED | tr '\n' ' ')")
        for u in cloud-init-local cloud-init cloud-config cloud-final; do
                m "$n" "UNIT $u active success" >/dev/null || fail+=("boot $n: $(m "$n" "UNIT $u ")")
        done
        ! m "$n" CYCLE >/dev/null || fail+=("boot $n: ordering cycle: $(m "$n" CYCLE | head -n3)")
        if [ $register = 1 ]; then
                m "$n" "UNIT onepci-agent-register (active|inactive) success 0" >/dev/null ||
                        fail+=("boot $n: onepci-agent-register.service: $(m "$n" 'UNIT onepci-agent-register')")
        fi
}

boot 1
check_common 1
m 1 "HOSTNAME n1$" >/dev/null || fail+=("boot 1: cloud-init did not set the hostname: $(m 1 HOSTNAME)")
m 1 "APPLY .*$dev.* bound" >/dev/null || fail+=("boot 1: the agent did not report binding $dev")
# The first boot's VFs are the agent's own work: none before it ran.
m 1 "BEFORE-AGENT NUMVFS $pf 0$" >/dev/null || fail+=("boot 1: VFs before the agent: $(m 1 'BEFORE-AGENT NUMVFS')")
for d in $vfs; do
        m 1 "APPLY .*$d.* bound" >/dev/null || fail+=("boot 1: the agent did not report binding the VF $d")
done
if [ ${#fail[@]} -eq 0 ]; then
        boot 2
        check_common 2
        m 2 "APPLY .*$dev.* unchanged" >/dev/null || fail+=("boot 2: the agent did not report $dev unchanged")
        m 2 "APPLY .*already configured, nothing changed" >/dev/null ||
                fail+=("boot 2: the agent changed something on the second boot")
        ! m 2 "APPLY .* bound " >/dev/null || fail+=("boot 2: the agent re-bound a device")
        m 2 "DRIVERCTL Finished driverctl@pci-$dev.service" >/dev/null ||
                fail+=("boot 2: driverctl's boot unit did not replay the override of $dev")
        # The VFs came back at boot through the agent's udev rule (nothing
        # else makes them before the agent) and driverctl's replayed
        # overrides had bound them, before the agent's unit started.
        m 2 "BEFORE-AGENT NUMVFS $pf 2$" >/dev/null ||
                fail+=("boot 2: the VFs were not back when the agent started: $(m 2 'BEFORE-AGENT NUMVFS')")
        for d in $vfs; do
                m 2 "BEFORE-AGENT VF $d vfio-pci vfio-pci active$" >/dev/null ||
                        fail+=("boot 2: VF $d when the agent started (driver, override, driverctl@): $(m 2 "BEFORE-AGENT VF $d")")
                m 2 "DRIVERCTL Finished driverctl@pci-$d.service" >/dev/null ||
                        fail+=("boot 2: driverctl's boot unit did not replay the override of the VF $d")
        done
fi

if [ $register = 1 ] && [ ${#fail[@]} -eq 0 ]; then
        if ! python3 - "$reg/oned/state.json" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
host = next((h for h in state.get("hosts", []) if h.get("name") == "10.0.2.15"), None)
t = (host or {}).get("template", {})
f, s = t.get("PCI_FILTER"), t.get("PCI_SHORT_ADDRESS")
print(f'oned double: host 10.0.2.15 PCI_FILTER="{f}" PCI_SHORT_ADDRESS="{s}"')
# The VFs share the PF's id and the PF stays with the host (as 01:00.0 does
# for 02:00.0): twins, so the slots narrow the filter, the PF's not among them.
ok = sorted((f or "").split(",")) == ["1b36:0010", "8086:10d3"] and \
     sorted((s or "").split(",")) == ["02:00.0", "03:00.1", "03:00.2"]
sys.exit(0 if ok else 1)
PY
        then
                fail+=("the oned double does not show PCI_FILTER=\"1b36:0010,8086:10d3\" and PCI_SHORT_ADDRESS of 02:00.0 and the VFs for 10.0.2.15")
        fi
fi

for n in 1 2; do
        [ -f "$out/boot$n.markers" ] && sed "s/^/boot $n: /" "$out/boot$n.markers" | grep -E 'UNIT|DRIVER|VFIO|PF|BEFORE-AGENT|TIME|VERIFY|APPLY|REGISTER|CYCLE|FAILED|BROKEN'
done
if [ ${#fail[@]} -gt 0 ]; then
        printf 'FAIL: %s\n' "${fail[@]}"
        echo "(consoles: $out/boot1.log $out/boot2.log; total $(elapsed))"
        exit 1
fi
if [ $register = 0 ]; then
        echo "local part passed on both boots in $(elapsed); registration NOT proven: $why_no_register"
        exit 77
fi
echo "ok: first and second boot proven in $(elapsed)"
