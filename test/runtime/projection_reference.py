#!/usr/bin/env python3
"""An independent implementation of kdc's projection featurizer, written from
the specification in runtime/include/kdc/runtime/projection.h, that prints
the pinned values of test/runtime/projection-test.c.

  /usr/bin/python3 test/runtime/projection_reference.py

The C test pins these numbers; if the C code and this script ever disagree,
one of them departs from the specification.
"""
M = 0xC6A4A7935BD1E995
MASK = (1 << 64) - 1
SEED = 0x6B64632D70726F6A
STEP = 0x9E3779B97F4A7C15


def murmur64a(data, seed):
    h = (seed ^ (len(data) * M)) & MASK
    n = len(data) // 8
    for b in range(n):
        k = int.from_bytes(data[8 * b:8 * b + 8], "little")
        k = (k * M) & MASK
        k ^= k >> 47
        k = (k * M) & MASK
        h ^= k
        h = (h * M) & MASK
    tail = data[8 * n:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * M) & MASK
    h ^= h >> 47
    h = (h * M) & MASK
    h ^= h >> 47
    return h


def fmix64(k):
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & MASK
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & MASK
    k ^= k >> 33
    return k


def lower(token):
    return "".join(c.lower()[0] for c in token)


def token_features(token, num=512, seed=SEED):
    data = token if isinstance(token, bytes) else lower(token).encode("utf-8")
    h = murmur64a(data, seed)
    out = []
    for j in range(num):
        lane = fmix64((h + (j // 32 + 1) * STEP) & MASK)
        out.append([0, 0, 1, -1][(lane >> (2 * (j % 32))) & 3])
    return out


def fnv1a(values):
    h = 0xCBF29CE484222325
    for v in values:
        h ^= v & 0xFF
        h = (h * 0x100000001B3) & MASK
    return h


TOKENS = ["hello", "HELLO", "Wake", "ΣΟΦΙΑ", "σοφια", "İstanbul", "mañana",
          "Ünïcödé", "ตั้ง", "ปลุก", "東京", "😀", "a-very-long-token-of-31-bytes!!"]

if __name__ == "__main__":
    for data in [b"", b"a", b"abcdefgh", b"abcdefghijk"]:
        print("murmur64a(%r, seed) = 0x%016X" % (data, murmur64a(data, SEED)))
    for t in TOKENS:
        f = token_features(t)
        print("%-34r fnv 0x%016X first16 %s" % (t, fnv1a(f), f[:16]))
    for name, marker in (("BOS", b"\xff"), ("EOS", b"\xfe")):
        print("%s fnv 0x%016X" % (name, fnv1a(token_features(marker))))
    f = token_features("hello", num=4096)
    print("hello 4096 fnv 0x%016X" % fnv1a(f))
