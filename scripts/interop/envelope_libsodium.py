#!/usr/bin/env python3
"""Envelopes with libsodium (PyNaCl), written independently of the Rust crate from the format in
docs/encryption.md, to prove the two interoperate byte for byte.

  open <envelope.json> <recipient secret hex>   verify the ed25519 sender signature, print plaintext hex
  seal <plaintext hex> <recipient public hex>...  print an envelope (JSON) sealed to those keys
"""
import hashlib
import json
import os
import sys

from nacl import bindings
from nacl.signing import SigningKey, VerifyKey

DOMAIN = b"virtengine:envelope:v1:signature"
SCHEME_ED25519 = 2


def compact(n):
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    raw = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([((len(raw) - 4) << 2) | 3]) + raw


def signing_hash(env):
    """BLAKE2-256 of the domain and the SCALE encoding of every field but the signature."""
    data = bytearray(DOMAIN)
    data += bytes([env["version"], env["algorithm"]])
    data += env["ephemeral_public"]
    data += compact(len(env["recipients"]))
    for key_id_, wrapped in env["recipients"]:
        data += key_id_ + compact(len(wrapped)) + wrapped
    data += env["payload_nonce"]
    data += compact(len(env["ciphertext"])) + env["ciphertext"]
    data += compact(len(env["content_type"])) + env["content_type"]
    data += env["created_at"].to_bytes(8, "little")
    data += bytes([env["scheme"]]) + env["public"]
    return hashlib.blake2b(bytes(data), digest_size=32).digest()


def key_id(public):
    return hashlib.sha256(public).digest()[:20]


def open_envelope(env, secret):
    """Open an envelope (raw bytes fields) with an X25519 secret key."""
    if env["scheme"] != SCHEME_ED25519:
        raise SystemExit("this reference only verifies ed25519 senders")
    VerifyKey(env["public"]).verify(signing_hash(env), env["signature"])
    mine = key_id(bindings.crypto_scalarmult_base(secret))
    wrapped = next((w for k, w in env["recipients"] if k == mine), None)
    if wrapped is None:
        raise SystemExit("not a recipient")
    data_key = bindings.crypto_box_open(wrapped[24:], wrapped[:24], env["ephemeral_public"], secret)
    return bindings.crypto_secretbox_open(env["ciphertext"], env["payload_nonce"], data_key)


def seal(plaintext, recipients, sender=None):
    """Seal to X25519 public keys; signed with an ed25519 key (a fresh one if none is given)."""
    eph_public, eph_secret = bindings.crypto_box_keypair()
    data_key = os.urandom(32)
    payload_nonce = os.urandom(24)
    entries = []
    for public in recipients:
        nonce = os.urandom(24)
        entries.append((key_id(public), nonce + bindings.crypto_box(data_key, nonce, public, eph_secret)))
    sender = sender or SigningKey.generate()
    env = {
        "version": 1,
        "algorithm": 1,
        "ephemeral_public": eph_public,
        "recipients": entries,
        "payload_nonce": payload_nonce,
        "ciphertext": bindings.crypto_secretbox(plaintext, payload_nonce, data_key),
        "content_type": b"interop",
        "created_at": 1_700_000_000_000,
        "scheme": SCHEME_ED25519,
        "public": bytes(sender.verify_key),
    }
    env["signature"] = sender.sign(signing_hash(env)).signature
    return env


def to_json(env):
    return {
        "version": env["version"],
        "algorithm": env["algorithm"],
        "ephemeral_public": env["ephemeral_public"].hex(),
        "recipients": [{"key_id": k.hex(), "wrapped_key": w.hex()} for k, w in env["recipients"]],
        "payload_nonce": env["payload_nonce"].hex(),
        "ciphertext": env["ciphertext"].hex(),
        "content_type": env["content_type"].decode(),
        "created_at": env["created_at"],
        "sender": {
            "scheme": env["scheme"],
            "public": env["public"].hex(),
            "signature": env["signature"].hex(),
        },
    }


def from_json(j):
    h = bytes.fromhex
    return {
        "version": j["version"],
        "algorithm": j["algorithm"],
        "ephemeral_public": h(j["ephemeral_public"]),
        "recipients": [(h(r["key_id"]), h(r["wrapped_key"])) for r in j["recipients"]],
        "payload_nonce": h(j["payload_nonce"]),
        "ciphertext": h(j["ciphertext"]),
        "content_type": j["content_type"].encode(),
        "created_at": j["created_at"],
        "scheme": j["sender"]["scheme"],
        "public": h(j["sender"]["public"]),
        "signature": h(j["sender"]["signature"]),
    }


def main(argv):
    if len(argv) >= 3 and argv[0] == "open":
        with open(argv[1]) as f:
            env = from_json(json.load(f))
        print(open_envelope(env, bytes.fromhex(argv[2])).hex())
    elif len(argv) >= 3 and argv[0] == "seal":
        print(json.dumps(to_json(seal(bytes.fromhex(argv[1]), [bytes.fromhex(k) for k in argv[2:]]))))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
