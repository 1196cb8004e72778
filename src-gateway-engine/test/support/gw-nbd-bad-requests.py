"""Sends out-of-range and oversized NBD requests to an export through libnbd (the library
behind nbdsh), with libnbd's own client-side checks switched off so the server has to
answer them, and prints one JSON line per request:

  {"op": "<name>", "ok": true}                     the server accepted it
  {"op": "<name>", "ok": false, "errno": "EINVAL"}  the server answered with this errno
  {"op": "<name>", "ok": false, "errno": null, "error": "..."}  no errno (connection lost?)

Between the bad requests it checks that the same connection still serves good ones (a
write to the block before the last, read back); at the end, that the last block still holds what was written
there before the refused requests and prints {"op": "good-after-<name>", ...} lines.

usage: gw-nbd-bad-requests.py URI
"""
import json
import sys

import nbd

BS = 4096


def say(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def attempt(name, fn):
    try:
        fn()
        say(op=name, ok=True)
    except nbd.Error as e:
        # nbd.Error.errno is the symbolic name ("EINVAL"); errnum the number.
        say(op=name, ok=False, errno=e.errno, error=e.string)


def main():
    uri = sys.argv[1]
    h = nbd.NBD()
    # Off: libnbd would otherwise refuse these requests itself, and the server would never see them.
    h.set_strict_mode(0)
    h.connect_uri(uri)
    size = h.get_size()
    say(op="size", ok=True, size=size)
    last = size - BS
    marker = bytes([0xC3]) * BS
    h.pwrite(marker, last)
    h.flush()

    def good(after):
        # The block before the last one: the last block must keep the marker through every refusal.
        data = (after.encode() * BS)[:BS]
        try:
            h.pwrite(data, last - BS)
            same = h.pread(BS, last - BS) == data
            say(op="good-after-" + after, ok=same)
        except nbd.Error as e:
            say(op="good-after-" + after, ok=False, error=e.string)

    bad = [
        ("read-past-end", lambda: h.pread(BS, size)),
        ("read-straddling-end", lambda: h.pread(2 * BS, last)),
        ("read-huge-offset", lambda: h.pread(BS, (1 << 62))),
        ("write-past-end", lambda: h.pwrite(bytes([0x99]) * BS, size)),
        ("write-straddling-end", lambda: h.pwrite(bytes([0x99]) * (2 * BS), last)),
        ("zero-straddling-end", lambda: h.zero(2 * BS, last)),
        ("trim-straddling-end", lambda: h.trim(2 * BS, last)),
        ("read-oversized", lambda: h.pread(33 * 1024 * 1024, 0)),
        ("write-oversized", lambda: h.pwrite(bytes([0x99]) * (33 * 1024 * 1024), last - 33 * 1024 * 1024)),
        ("write-unknown-flag", lambda: h.pwrite(bytes([0x99]) * BS, last, 0x100)),
    ]
    for name, fn in bad:
        attempt(name, fn)
        good(name)
    # Nothing of a refused write may have landed: the last block still holds the marker.
    say(op="last-block-intact", ok=h.pread(BS, last) == marker)
    attempt("flush", h.flush)
    h.shutdown()


if __name__ == "__main__":
    main()
