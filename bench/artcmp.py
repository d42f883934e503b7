#!/usr/bin/env python3
"""Compares two entex artefacts (`entex compile` output) byte for byte, except
what differs between two compiles of the same sources by binaries whose
dictionary code differs: the engine identity (build.rs hashes src/dictionary,
src/text and src/matcher), the payload length and checksum, and the facts'
build_time (a Duration, postcard varints). Issue 9: a faster build must
compile the same dictionary.

    python3 bench/artcmp.py OLD.entexdic NEW.entexdic

Prints "identical ..." with a sha256 of the compared bytes, or the parts that
differ (exit 1)."""
import struct, sys, hashlib

def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1
        v |= (x & 0x7f) << s; s += 7
        if x < 0x80: return v, i

def string(b, i):
    n, i = varint(b, i); return i + n

def split(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'ENTEXDIC'
    elen = struct.unpack_from('<I', b, 12)[0]
    h = 16 + elen
    h += (-h) % 8
    payload = h + 16
    n = struct.unpack_from('<Q', b, payload)[0]
    irr_at = payload + 8
    irr = b[irr_at:irr_at + n]
    rest_at = irr_at + n + ((-n) % 8)
    # Facts: version, entity_count, alias_count, sources, dictionaries, entities_by_type, build_time
    i = string(irr, 0)
    _, i = varint(irr, i); _, i = varint(irr, i)
    k, i = varint(irr, i)
    for _ in range(k):
        i = string(irr, i); i = string(irr, i)
        _, i = varint(irr, i); _, i = varint(irr, i)
        i = string(irr, i); i = string(irr, i)
        i += 1
        _, i = varint(irr, i)
        m, i = varint(irr, i)
        for _ in range(m):
            _, i = varint(irr, i); i = string(irr, i)
        _, i = varint(irr, i)
    k, i = varint(irr, i)
    for _ in range(k):
        i = string(irr, i); _, i = varint(irr, i); _, i = varint(irr, i); i += 1; _, i = varint(irr, i)
    k, i = varint(irr, i)
    for _ in range(k):
        i = string(irr, i); _, i = varint(irr, i)
    bt = i
    _, i = varint(irr, i); _, i = varint(irr, i)
    return b[:16], irr[:bt], irr[i:], b[rest_at:]

a, b = split(sys.argv[1]), split(sys.argv[2])
names = ['header', 'facts before build_time', 'after build_time', 'tables']
bad = [n for n, x, y in zip(names, a, b) if x != y]
if bad:
    print('DIFFER:', ', '.join(bad)); sys.exit(1)
h = hashlib.sha256(b''.join(a)).hexdigest()
print('identical but for engine identity, checksum and build_time; normalised sha256', h)
