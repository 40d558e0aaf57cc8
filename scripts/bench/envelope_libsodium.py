#!/usr/bin/env python3
"""Reference timings for the envelope benchmark: the envelope construction with libsodium
(PyNaCl) primitives. Prints JSON: median seconds per seal and per open for each size and
recipient count. Usage: envelope_libsodium.py <budget_ms> [<size> <recipients>]: one case, or all."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
import envelope_libsodium as ref  # noqa: E402
import nacl  # noqa: E402
from nacl import bindings  # noqa: E402

SIZES = [1 << 10, 1 << 20, 8 << 20]
RECIPIENTS = [1, 10]


def median_time(budget, f):
    samples = []
    start = time.perf_counter()
    while len(samples) < 3 or (time.perf_counter() - start < budget and len(samples) < 1000):
        t = time.perf_counter()
        f()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    budget = (int(sys.argv[1]) if len(sys.argv) > 1 else 1500) / 1000
    cases = [(int(sys.argv[2]), int(sys.argv[3]))] if len(sys.argv) > 3 else [
        (size, n) for size in SIZES for n in RECIPIENTS
    ]
    results = []
    for size, n in cases:
        if True:
            secrets = [bytes([i + 1]) * 32 for i in range(n)]
            publics = [bindings.crypto_scalarmult_base(s) for s in secrets]
            plaintext = b"\x5a" * size
            sender = ref.SigningKey(bytes([9]) * 32)
            seal_s = median_time(budget, lambda: ref.seal(plaintext, publics, sender))
            env = ref.seal(plaintext, publics, sender)
            open_s = median_time(budget, lambda: ref.open_envelope(env, secrets[-1]))
            results.append({"size": size, "recipients": n, "seal_s": seal_s, "open_s": open_s})
    print(json.dumps({"libsodium": "PyNaCl " + nacl.__version__, "results": results}))


if __name__ == "__main__":
    main()
