# SPDX-License-Identifier: Apache-2.0
"""onepci-registrar as the tests and benchmarks run it: on a free loopback
port, under an optional wrapper (valgrind), waited for until it answers.

Used by tests/registrar/test_registrar.py and test_ha.py, tests/e2e/e2e.py
and tests/bench/benchlib.py (Python 3 standard library only).
"""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    """A loopback port nothing listens on now (the kernel's choice)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wrapper(variable):
    """The wrapper command the environment variable names, as a list, e.g.
    ONEPCI_TEST_WRAPPER="valgrind --error-exitcode=99 ..."; [] when unset
    or when variable is None (no wrapper)."""
    return os.environ.get(variable, "").split() if variable else []


def start(argv, url, log_path, wrapper_variable="ONEPCI_TEST_WRAPPER", probe="/metrics",
          context=None, timeout=None, **popen_kw):
    """Runs argv (onepci-registrar serve ...) under the wrapper
    wrapper_variable names and waits until GET url+probe gets any HTTP answer.
    timeout: 20 s, 120 s under a wrapper (valgrind starts it many times
    slower).  Returns the Popen; raises RuntimeError with the registrar's log
    (log_path) when it exits first or does not answer in time (it is killed)."""
    wrap = wrapper(wrapper_variable)
    proc = subprocess.Popen(wrap + list(argv), **popen_kw)
    deadline = time.monotonic() + (timeout or (120 if wrap else 20))
    while True:
        try:
            urllib.request.urlopen(url + probe, timeout=5, context=context).read()
            return proc
        except urllib.error.HTTPError:
            return proc  # it answers, whatever it says
        except OSError:
            pass
        if proc.poll() is not None:
            why = "exited %d" % proc.returncode
        elif time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            why = "did not answer %s%s in time" % (url, probe)
        else:
            time.sleep(0.05)
            continue
        try:
            with open(log_path) as f:
                log = f.read()
        except OSError:
            log = "(no log)"
        raise RuntimeError("registrar %s: %s" % (why, log))
