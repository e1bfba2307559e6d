#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Signs registrar requests as lib/sign.h describes, for tests and curl.

    onepci_sign.py --key-file node.key --node n1 PUT /v1/hosts/n1/pci < body.json
prints the Authorization header value.  --ts overrides the time stamp (a
skewed clock).  As a module: node_key(secret_hex, name), authorization(...),
response_signature(...) and response_verifies(...) for the registrar's answers.
"""

import argparse
import hashlib
import hmac
import secrets
import sys
import time

SCHEME = "ONEPCI-HMAC-SHA256"
RESPONSE_SCHEME = "ONEPCI-HMAC-SHA256-RESPONSE"
RESPONSE_HEADER = "X-Onepci-Signature"


def node_key(secret_hex, name):
    """hex(HMAC-SHA256(secret, "onepci-node-key/v1:" NAME))"""
    secret = bytes.fromhex(secret_hex.strip())
    return hmac.new(secret, b"onepci-node-key/v1:" + name.encode(), hashlib.sha256).hexdigest()


def authorization(key_hex, node, method, path, body, ts=None, nonce=None):
    ts = int(time.time()) if ts is None else int(ts)
    nonce = nonce or secrets.token_hex(16)
    digest = hashlib.sha256(body).hexdigest()
    string = "%s\n%s\n%s\n%d\n%s\n%s" % (SCHEME, method, path, ts, nonce, digest)
    sig = hmac.new(bytes.fromhex(key_hex.strip()), string.encode(), hashlib.sha256).hexdigest()
    return "%s node=%s, ts=%d, nonce=%s, sig=%s" % (SCHEME, node, ts, nonce, sig)


def response_signature(key_hex, status, date, request_nonce, body):
    """The X-Onepci-Signature value of an answer (lib/sign.h, "Responses")."""
    string = "%s\n%d\n%s\n%s\n%s" % (RESPONSE_SCHEME, status, date, request_nonce,
                                      hashlib.sha256(body).hexdigest())
    return hmac.new(bytes.fromhex(key_hex.strip()), string.encode(), hashlib.sha256).hexdigest()


def response_verifies(key_hex, status, date, request_nonce, body, sig):
    return sig is not None and date is not None and hmac.compare_digest(
        sig, response_signature(key_hex, status, date, request_nonce, body))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key-file", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--ts", type=int)
    ap.add_argument("method")
    ap.add_argument("path")
    args = ap.parse_args()
    with open(args.key_file) as f:
        key = f.read().strip()
    print(authorization(key, args.node, args.method, args.path, sys.stdin.buffer.read(),
                        args.ts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
