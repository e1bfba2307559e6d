#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""set_counter and set_name: onepci-agent plan on the sriov-node fixture
against role_pci_list.py (the model of the role, from the reference text).
Odd cases by hand, then generated ones; where onepci differs on purpose
(onepci-inventory(5), "Differences from one-deploy") the case says so and
checks both the model's role answer and onepci's.

usage: test-counter-model.py ONEPCI_AGENT FIXTURES_DIR [N_GENERATED]"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from role_pci_list import role_names  # noqa: E402

AGENT, FIXTURES = sys.argv[1], sys.argv[2]
N_GENERATED = int(sys.argv[3]) if len(sys.argv) > 3 else 300
ONEPCI = {"excluded_absolute": True, "skip_bridges": True}  # documented differences
NAME = "{0[1]}{0[2]}{0[3]}c{3}"  # unique per device, shows the counter


def read_devices(root):
    base = os.path.join(root, "sys/bus/pci/devices")
    devs = []
    for a in sorted(os.listdir(base)):
        def attr(n):
            with open(os.path.join(base, a, n)) as f:
                return f.read().strip()
        macs = []
        net = os.path.join(base, a, "net")
        for i in sorted(os.listdir(net)) if os.path.isdir(net) else []:
            with open(os.path.join(net, i, "address")) as f:
                macs.append(f.read().strip())
        devs.append({"address": a, "vendor": attr("vendor")[2:], "device": attr("device")[2:],
                     "class6": attr("class")[2:], "macs": macs})
    return devs


class Agent:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="onepci-counter-model-")
        self.root = os.path.join(self.work, "root")
        shutil.copytree(os.path.join(FIXTURES, "roots/sriov-node"), self.root, symlinks=True)
        self.devices = read_devices(self.root)

    def plan(self, entries):
        """slot -> name from `onepci-agent --json plan`; raises on an error exit."""
        inv = os.path.join(self.work, "inventory.yml")
        with open(inv, "w") as f:  # JSON is YAML: every value typed as written
            json.dump({"all": {"hosts": {"n1": {"pci_devices": entries}}}}, f, indent=1)
        env = dict(os.environ, ONEPCI_FAKE_ROOT=self.root)
        p = subprocess.run([AGENT, "--root", self.root, "--driverctl",
                            os.path.join(FIXTURES, "fake-driverctl"), "--no-register",
                            "--inventory", inv, "--host", "n1", "--json", "plan"],
                           capture_output=True, text=True, env=env)
        if p.returncode == 3:
            raise ValueError(p.stderr.strip())
        out = json.loads(p.stdout)
        return {i["address"]: i["name"] for i in out["items"]
                if "name" in i and i["action"] not in ("excluded", "refuse-name")}

    def close(self):
        shutil.rmtree(self.work)


failures = []


def check(agent, what, entries, differs=None):
    """onepci must equal the model with onepci's switches; when `differs`
    names a documented difference, the role's own answer must differ (so
    the case shows it) and onepci still follows the switched model."""
    try:
        got = agent.plan(entries)
    except ValueError as err:
        failures.append(f"{what}: refused: {err}")
        return
    want = role_names(agent.devices, entries, **ONEPCI)
    role = role_names(agent.devices, entries)
    if got != want:
        failures.append(f"{what}: onepci {got}\n    model  {want}\n    entries {entries}")
    if differs and role == want:
        failures.append(f"{what}: documented difference ({differs}) does not show: role {role}")
    if not differs and role != want:
        failures.append(f"{what}: onepci's switches change this case, say which difference: "
                        f"role {role}, onepci {want}")


def e(address=None, **kw):
    d = {"set_driver": "omit", "set_name": NAME}
    if address is not None:
        d["address"] = address
    d.update({k.rstrip("_"): v for k, v in kw.items()})
    return {k: v for k, v in d.items() if v is not None}


def odd_cases(agent):
    gpu9, gpu10 = "0000:09:00.0", "0000:0a:00.0"
    check(agent, "later entry without set_counter over a device that got one",
          [e("0000:0*:00.0".replace("0*", "*"), set_counter=10), e(gpu9)],
          differs="bridges")
    check(agent, "the same, no bridge in the glob",
          [e("*:0a:00.*", set_counter=10), e("*:09:00.*", set_counter=20), e(gpu9)])
    check(agent, "counter of a glob on its first device only",
          [e("*:0b:00.*", set_counter=7), e(gpu9)])
    check(agent, "counter from a vendor entry on its first device only",
          [e(vendor="10de", set_counter=4)])
    check(agent, "a later entry's set_counter re-matches a device",
          [e(gpu9, set_counter=3), e(vendor="10de", set_counter=30)])
    check(agent, "a glob's first device is decided by an earlier entry",
          [e(gpu10), e(vendor="10de", set_counter=5)])
    check(agent, "MAC glob: each device gets the counter",
          [e("3c:fd:fe:a0:*:*", set_counter=2, set_name=None), e("3c:fd:fe:a0:0*:0*", set_counter=2)])
    check(agent, "MAC glob then an address entry without set_counter",
          [e("3c:fd:fe:a0:00:*", set_counter=40), e("0000:03:00.1")])
    check(agent, "excluded between counted devices",
          [e(vendor="10de", set_counter=1), e(gpu10, excluded=True)])
    check(agent, "excluded first device of a counted glob loses the restart (as the role)",
          [e(vendor="10de", set_counter=1), e(gpu9, excluded=True)])
    check(agent, "an exclusion before a broader entry",
          [e(gpu9, excluded=True), e(vendor="10de", set_counter=1)],
          differs="excluded is absolute")
    check(agent, "unlisted devices take a number",
          [e(gpu9, unlisted=True, set_counter=8), e(gpu10), e("0000:0b:00.0", unlisted=True)])
    check(agent, "VFs (virtual) after their PF",
          [e("0000:03:00.1", set_counter=50), e("0000:03:02.*", virtual=True), e("0000:03:00.0")])
    check(agent, "set_name omitted in the last entry: no name, still a number",
          [e(vendor="8086", set_counter=11), e("0000:03:00.1", set_name=None), e("0000:0c:00.0")],
          differs="bridges")
    check(agent, "the same without bridges",
          [e(vendor="8086", class_="0200", set_counter=11), e("0000:03:00.1", set_name=None),
           e("0000:0c:00.0")])
    check(agent, "set_counter 0 restarts at 0", [e(gpu9), e(gpu10), e("*:0b:00.*", set_counter=0)])
    check(agent, "set_counter as a quoted string", [e(gpu9, set_counter="5"), e(gpu10)])
    check(agent, "set_counter \"05\" (Python's int() reads 5)",
          [e(gpu9, set_counter="05"), e(gpu10)])
    check(agent, "{3:02d}", [e(vendor="10de", set_counter=3, set_name="g{3:02d}x{0[1]}")])


def bad_counters(agent):
    """What onepci refuses (exit 3, the place named), where the role would
    abort (int() of junk) or read YAML 1.1 differently from what is written."""
    for value, why in (("five", "not a number"), ("-1", "negative"), (-1, "negative"),
                       (True, "a boolean"), (1.5, "a float"), ("", "empty")):
        try:
            agent.plan([e("0000:09:00.0", set_counter=value)])
            failures.append(f"set_counter {value!r} ({why}) was accepted")
        except ValueError as err:
            if "inventory.yml:" not in str(err) or "set_counter" not in str(err):
                failures.append(f"set_counter {value!r}: the message lacks the place: {err}")


def generated(agent, n):
    rnd = random.Random(11)
    addresses = ["0000:03:00.0", "0000:03:00.1", "0000:03:02.*", "*:03:*.*", "0000:09:00.0",
                 "0000:0a:00.0", "*:0b:00.*", "0000:0b:00.1", "*:*:*.1", "0000:0c:00.0",
                 "0000:04:00.0", "*:0*:00.0".replace("0*", "0a")]
    macs = ["3c:fd:fe:a0:*:*", "3c:fd:fe:a0:01:*", "*:*:*:*:*:01", "b8:ce:f6:00:00:10"]
    ids = [{"vendor": "10de"}, {"vendor": "8086"}, {"vendor": "8086", "device": "154c"},
           {"class": "0200"}, {"class": "0302"}, {"vendor": "10de", "class": "0300"}]
    for case in range(n):
        entries = []
        for _ in range(rnd.randint(1, 5)):
            kind = rnd.random()
            if kind < 0.45:
                ent = e(rnd.choice(addresses))
            elif kind < 0.7:
                ent = e(rnd.choice(macs))
            else:
                ent = e(**rnd.choice(ids))
            if rnd.random() < 0.45:
                ent["set_counter"] = rnd.randint(0, 40)
            if rnd.random() < 0.15:
                del ent["set_name"]
            if rnd.random() < 0.1:
                ent["unlisted"] = True
            if "*" in ent.get("address", "*"):
                ent["virtual"] = True
            entries.append(ent)
        # Exclusions only where the role agrees (after every broader entry);
        # the absolute exclusion has its own case above.
        if rnd.random() < 0.25:
            entries.append(e(rnd.choice(["0000:09:00.0", "0000:03:00.1", "0000:0b:00.0"]),
                             excluded=True))
        got = agent.plan(entries)
        want = role_names(agent.devices, entries, **ONEPCI)
        if got != want:
            failures.append(f"generated case {case}: onepci {got}\n    model  {want}\n"
                            f"    entries {entries}")


def main():
    agent = Agent()
    try:
        odd_cases(agent)
        bad_counters(agent)
        generated(agent, N_GENERATED)
    finally:
        agent.close()
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
