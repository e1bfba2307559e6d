#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The VM suite: boots Debian's kernel under QEMU (TCG) with an emulated Intel
# IOMMU and four e1000e NICs behind PCIe root ports, runs the guest scenario of
# tests/vm/init and reads the verdict from the markers on the guest console.
#
# usage: run-vm-test.sh AGENT BUILD_DIR
# environment:
#   ONEPCI_VM_TIMEOUT   seconds the guest may run (default 240)
#   ONEPCI_VM_AGENT     driverctl: prove the infrastructure without the agent
#   ONEPCI_VM_BREAK     with ONEPCI_VM_AGENT=driverctl: make the stand-in
#                       misbehave (guard,rule,wait,rebind,check,save; see init)
#   ONEPCI_VM_REGISTER  0: skip step 5 even when the registrar is built
#   ONEPCI_VM_REGISTRAR the onepci-registrar to use (default BUILD_DIR/registrar/...)
#   ONEPCI_VM_OUT       where the guest is built and logs go (default BUILD_DIR/vm)
#   ONEPCI_VM_BENCH     R: the node-apply benchmark (R rounds) instead of the
#                       scenario; prints the guest's ONEPCI-BENCH lines
# exit: 0 pass, 1 fail (the guest's log is printed), 77 QEMU not installed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: run-vm-test.sh AGENT BUILD_DIR" >&2; exit 2; }
agent=$1
build=$(cd "$2" && pwd)
out=${ONEPCI_VM_OUT:-$build/vm}
timeout_s=${ONEPCI_VM_TIMEOUT:-240}
qemu=qemu-system-x86_64

if ! command -v $qemu >/dev/null; then
        echo "SKIP: $qemu is not installed (Debian package qemu-system-x86); the VM suite needs it" >&2
        exit 77
fi

mkdir -p "$out"
log=$out/console.log
rm -f "$log"

cmdline="console=ttyS0 intel_iommu=on quiet panic=-1"

# --- step 5's host side: the registrar and the oned double on loopback ---------
register=0
bench=${ONEPCI_VM_BENCH:-0}
pids=()
cleanup() {
        local p
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 143' TERM INT
guestfwd=
extra=()
if [ "$bench" != 0 ]; then
        # The replaced role's sequence runs lspci -k in the guest.
        cmdline+=" onepci.bench=$bench"
        extra+=("$(command -v lspci || echo /usr/bin/lspci)")
elif [ "${ONEPCI_VM_REGISTER:-1}" != 0 ]; then
        # Starts the oned double and the registrar when the registrar is
        # built; prints "PORT PID PID" (nothing when it is not built).
        if ! side=$("$here/registrar-side.sh" "$out" start "$build"); then
                echo "FAIL: the registrar side of step 5 did not start" >&2
                exit 1
        fi
        read -r port rpids <<<"$side"
        if [ -n "${port:-}" ]; then
                register=1
                pids+=($rpids)
                guestfwd=",guestfwd=tcp:10.0.2.100:8474-cmd:$here/relay.py 127.0.0.1 $port"
                cmdline+=" onepci.register=1 onepci.hostport=$port"
                extra+=("$out/registrar/node.key")
        fi
fi

t0=$(date +%s)
if ! "$here/build-guest.sh" "$out" "$agent" "$here/init" "${extra[@]}"; then
        echo "FAIL: could not build the guest" >&2
        exit 1
fi
t1=$(date +%s)

if [ "${ONEPCI_VM_AGENT:-}" = driverctl ]; then
        cmdline+=" onepci.agent=driverctl"
        [ -z "${ONEPCI_VM_BREAK:-}" ] || cmdline+=" onepci.break=$ONEPCI_VM_BREAK"
fi

nics=()
i=0
for mac in 52:54:00:0e:00:01 52:54:00:0e:00:02 52:54:00:0e:00:03 52:54:00:0e:00:04; do
        i=$((i + 1))
        fwd=
        [ $i = 1 ] && fwd=$guestfwd
        nics+=(-device "pcie-root-port,id=rp$i,bus=pcie.0,chassis=$i,addr=0x1$i"
               -netdev "user,id=n$i,restrict=on$fwd"
               -device "e1000e,netdev=n$i,bus=rp$i,mac=$mac")
done
# An SR-IOV NVMe controller (issue 11): up to 4 VFs, behind its own root port.
nics+=(-device "pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x15"
       -device "nvme-subsys,id=s0,nqn=s0"
       -device "nvme,serial=onepci0,bus=rp5,subsys=s0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=8,max_ioqpairs=12,msix_qsize=12")

echo "run-vm-test: booting ($timeout_s s at most), console in $log" >&2
timeout --kill-after=10 "$timeout_s" $qemu \
        -nodefaults -no-reboot -display none -monitor none -serial stdio \
        -machine q35,kernel-irqchip=split,accel=tcg -cpu max -smp 1 -m 512 \
        -device intel-iommu,intremap=on,caching-mode=on \
        "${nics[@]}" \
        -kernel "$out/vmlinuz" -initrd "$out/initrd.img" -append "$cmdline" \
        </dev/null >"$log" 2>&1
qrc=$?
t2=$(date +%s)

show_log() {
        echo "----- guest console ($log) -----"
        tr -d '\r' < "$log"
        echo "----- end of guest console -----"
}

markers=$(tr -d '\r' < "$log" | grep -E '^ONEPCI-(STEP|DONE)')
if [ "$bench" != 0 ]; then
        results=$(tr -d '\r' < "$log" | grep -E '^ONEPCI-BENCH ')
        echo "$markers"
        echo "$results"
        want=$((bench * 5))
        got=$(printf '%s\n' "$results" | grep -c ' rc=0 ')
        if ! grep -q '^ONEPCI-STEP 0 PASS' <<<"$markers" || [ "$got" -ne "$want" ]; then
                show_log() { tr -d '\r' < "$log"; }
                show_log
                echo "FAIL: $got of $want benchmark runs succeeded"
                exit 1
        fi
        echo "run-vm-test: benchmark of $bench round(s) done in $(($(date +%s) - t1)) s" >&2
        exit 0
fi
echo "$markers"
fail=()
[ $qrc = 124 ] || [ $qrc = 137 ] && fail+=("the guest did not finish within $timeout_s s")
for n in 0 1 2 3 4 5 6 7 8 9 10 11; do
        line=$(printf '%s\n' "$markers" | grep -m1 "^ONEPCI-STEP $n ")
        case $line in
        "ONEPCI-STEP $n PASS "*) ;;
        "ONEPCI-STEP 5 SKIP "*) [ $register = 0 ] || fail+=("step 5 skipped although the registrar runs") ;;
        "ONEPCI-STEP "[89]" SKIP "*"not a stand-in's job" | "ONEPCI-STEP 1"[01]" SKIP "*"not a stand-in's job") ;; # the driverctl stand-in (selftest)
        "") fail+=("no marker for step $n") ;;
        *) fail+=("step $n failed") ;;
        esac
done
printf '%s\n' "$markers" | grep -q '^ONEPCI-DONE' || fail+=("no ONEPCI-DONE marker (guest crashed or hung)")
if [ $register = 1 ]; then
        if v=$("$here/registrar-side.sh" "$out" verify "$build" 2>&1); then
                echo "host side of step 5: $v"
        else
                fail+=("host side of step 5: $v")
        fi
fi

echo "run-vm-test: guest build $((t1 - t0)) s, boot and scenario $((t2 - t1)) s, qemu exit $qrc" >&2
if [ ${#fail[@]} -ne 0 ]; then
        show_log
        printf 'FAIL: %s\n' "${fail[@]}"
        exit 1
fi
[ $register = 1 ] || echo "NOTE: step 5 (registration) skipped: onepci-registrar not built or ONEPCI_VM_REGISTER=0"
echo "PASS"
exit 0
