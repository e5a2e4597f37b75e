"""Grow the containers a Python program grows: a list, a dict, bytes, a
str and a table of columns, row by row, as a loader or a report does.
Prints their sizes and a digest of their contents (deterministic)."""
import array
import hashlib
import sys


def main():
    # Locals, as in real code: CPython appends to a local str in place.
    N = int(sys.argv[1])
    digest = hashlib.sha256()

    # A list of ints, appended one at a time.
    lst = []
    for i in range(N):
        lst.append(i * 7919 % 1000003)
    digest.update(repr(sum(lst)).encode())

    # A dict with str keys.
    d = {}
    for i in range(N // 2):
        d["key%d" % i] = i
    digest.update(repr(len(d)).encode())

    # A bytearray and a str, appended to in place (both realloc()).
    buf = bytearray()
    text = ""
    for i in range(N // 4):
        buf += b"%08d," % lst[i]
        text += "w%d " % (i % 977)
    digest.update(buf)
    digest.update(text.encode())

    # Columns: one list and one typed array per field, a row at a time.
    cols = {name: [] for name in ("id", "name", "score")}
    packed = {name: array.array("q") for name in ("id", "score", "flags")}
    for i in range(N):
        cols["id"].append(i)
        cols["name"].append("n%d" % (i % 5003))
        cols["score"].append(lst[i] / 7)
        packed["id"].append(i)
        packed["score"].append(lst[i])
        packed["flags"].append(i & 0xff)
    for name in sorted(packed):
        digest.update(packed[name].tobytes())
    digest.update(repr(sum(cols["score"])).encode())

    print(len(lst), len(d), len(buf), len(text), len(cols["name"]))
    print(digest.hexdigest())


main()
