#!/usr/bin/env python3
"""Compares two logits stores record by record (the reader of
docs/logits-store.md): same header, texts, gold labels and locales, and
logits equal within TOL. Used where the same teacher labels the same data in
different batches: LibTorch may round a batch of another shape differently,
so fp16 logits can differ in their last bit.

  compare_kdl.py A.kdl B.kdl [TOL]
"""
import struct
import sys
import zlib


def read_kdl(path):
    data = open(path, "rb").read()
    assert data[:8] == b"KDCLOGIT", "not a kdc logits store"
    version, H, C, shard, nshards = struct.unpack_from("<5I", data, 8)
    assert version == 1
    assert zlib.crc32(data[:H - 4]) == struct.unpack_from("<I", data, H - 4)[0]
    at = 28

    def string():
        nonlocal at
        (n,) = struct.unpack_from("<I", data, at)
        at += 4 + n
        return data[at - n:at].decode()

    fingerprint, source = string(), string()
    labels = [string() for _ in range(C)]
    (L,) = struct.unpack_from("<I", data, at)
    at += 4
    locales = [string() for _ in range(L)]
    records, p = [], H
    while p + 16 <= len(data) and data[p:p + 8] != b"KDCINDEX":
        T, gold, locale, head = struct.unpack_from("<IiiI", data, p)
        R = ((16 + 2 * C + T + 3) & ~3) + 4
        if p + R > len(data):
            break
        assert zlib.crc32(data[p:p + R - 4]) == struct.unpack_from("<I", data, p + R - 4)[0]
        logits = struct.unpack_from(f"<{C}e", data, p + 16)
        text = data[p + 16 + 2 * C:p + 16 + 2 * C + T].decode()
        records.append((text, logits, gold, locale))
        p += R
    return labels, fingerprint, locales, records


a, b = read_kdl(sys.argv[1]), read_kdl(sys.argv[2])
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-2
assert a[:3] == b[:3], "headers differ"
assert len(a[3]) == len(b[3]), f"{len(a[3])} vs {len(b[3])} records"
worst = 0.0
for i, (ra, rb) in enumerate(zip(a[3], b[3])):
    assert ra[0] == rb[0] and ra[2:] == rb[2:], f"record {i} differs: {ra[0]!r} vs {rb[0]!r}"
    worst = max([worst] + [abs(x - y) for x, y in zip(ra[1], rb[1])])
print(f"{'SAME' if worst <= tol else 'DIFFERENT'}: {len(a[3])} records, max |dlogit| {worst:.3g}")
sys.exit(0 if worst <= tol else 1)
