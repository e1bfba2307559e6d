#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a one-deploy-shaped Ansible inventory with N hypervisor nodes.

    gen-inventory.py N OUT.yml

Shape (as one-deploy's examples): `all.vars` with one_pass, one_version, ds,
vn; a `frontend` group; a `node` group whose `children` are racks of 50 hosts
each, every rack with its own group vars; every node has ansible_host,
pci_passthrough_enabled and 2-8 pci_devices (deterministic pseudo-random).
The last host, `nLAST` (printed on stdout), selects 0000:09:00.0 and
0000:0a:00.0, the two GPUs of tests/fixtures/roots/gpu-node, so `onepci-agent
plan --host LAST --root gpu-node-copy` is a valid plan.
"""

import random
import sys

RACK = 50


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    n = int(sys.argv[1])
    out = sys.argv[2]
    rnd = random.Random(n)
    w = []
    w.append("""---
all:
  vars:
    ansible_user: root
    one_version: '7.0'
    one_pass: opennebulapass
    one_token: "{{ lookup('env', 'ONE_TOKEN') }}"
    features:
      evpn: false
      prometheus: true
    ds:
      mode: ssh
    vn:
      admin_net:
        managed: true
        template:
          VN_MAD: bridge
          PHYDEV: eth0
          BRIDGE: br0
          AR:
            TYPE: IP4
            IP: 10.0.0.100
            SIZE: 48
          NETWORK_ADDRESS: 10.0.0.0
          NETWORK_MASK: 255.0.0.0
          GATEWAY: 10.0.0.1
          DNS: 1.1.1.1

frontend:
  hosts:
    f1: { ansible_host: 10.255.255.1 }
    f2: { ansible_host: 10.255.255.2 }
    f3: { ansible_host: 10.255.255.3 }

node:
  vars:
    pci_passthrough_enabled: true
  children:
""")
    racks = (n + RACK - 1) // RACK
    for r in range(racks):
        w.append("    rack%04d:\n" % r)
    w.append("\n")
    last = "n%06d" % (n - 1)
    for r in range(racks):
        w.append("rack%04d:\n  vars:\n    rack: %d\n    row: %s\n    numa_policy: strict\n"
                 "  hosts:\n" % (r, r, chr(ord("a") + r % 26)))
        for i in range(r * RACK, min(n, (r + 1) * RACK)):
            name = "n%06d" % i
            w.append("    %s:\n      ansible_host: 10.%d.%d.%d\n" %
                     (name, (i >> 16) & 255, (i >> 8) & 255, i & 255))
            w.append("      pci_passthrough_enabled: true\n      pci_devices:\n")
            if name == last:
                addrs = ["0000:09:00.0", "0000:0a:00.0"]
            else:
                addrs = ["0000:%02x:00.%d" % (rnd.randrange(1, 0xc0), f)
                         for f in range(rnd.randint(2, 8))]
                addrs = sorted(set(addrs))
            for a in addrs:
                w.append('        - address: "%s"\n' % a)
            if i % 7 == 0:
                w.append("      onepci_filter_mode: addresses\n")
    with open(out, "w") as f:
        f.write("".join(w))
    print(last)
    return 0


if __name__ == "__main__":
    sys.exit(main())
