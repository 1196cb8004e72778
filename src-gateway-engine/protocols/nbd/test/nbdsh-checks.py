# Driven by interop.test.ts: exercises an NBD export through libnbd's Python binding
# (what nbdsh runs) and prints one JSON object of observations on stdout.
import errno
import json
import sys

import nbd

uri = sys.argv[1]
out = {}

h = nbd.NBD()
h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.connect_uri(uri)
size = h.get_size()
out["size"] = size
out["structured"] = h.get_structured_replies_negotiated()
out["can_meta"] = h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
out["flags"] = {
    "flush": h.can_flush(),
    "fua": h.can_fua(),
    "trim": h.can_trim(),
    "zero": h.can_zero(),
    "df": h.can_df(),
    "multi_conn": h.can_multi_conn(),
    "read_only": h.is_read_only(),
}
out["block_size"] = [h.get_block_size(nbd.SIZE_MINIMUM), h.get_block_size(nbd.SIZE_PREFERRED), h.get_block_size(nbd.SIZE_MAXIMUM)]

# pwrite / pread / flush, with and without FUA
data = bytes(range(256)) * 256  # 64 KiB
h.pwrite(data, 1 << 20)
h.pwrite(b"fua!", 5, nbd.CMD_FLAG_FUA)
h.flush()
out["read_back"] = h.pread(len(data), 1 << 20) == data
out["fua_read_back"] = h.pread(4, 5) == b"fua!"
df_chunks = []
df_data = h.pread_structured(
    len(data), 1 << 20, lambda subbuf, offset, status, err: df_chunks.append(status) or 0, nbd.CMD_FLAG_DF
)
out["df_read"] = df_data == data and df_chunks == [nbd.READ_DATA]


def extents(offset, count, flags=0):
    found = []

    def cb(metacontext, off, entries, err):
        assert metacontext == nbd.CONTEXT_BASE_ALLOCATION
        found.extend(entries)
        return 0

    h.block_status(count, offset, cb, flags)
    return found


out["status_initial"] = extents(0, 4 << 20)

# zero (with and without NO_HOLE) and trim
h.zero(65536, 1 << 20)
h.zero(65536, (1 << 20) + 65536, nbd.CMD_FLAG_NO_HOLE)
h.trim(65536, 2 << 20)
out["zeroed"] = h.pread(131072, 1 << 20) == bytes(131072)
out["status_after"] = extents(0, 4 << 20)
out["status_req_one"] = extents(0, 4 << 20, nbd.CMD_FLAG_REQ_ONE)

# Structured read over a sparse region: holes arrive as READ_HOLE chunks.
h.pwrite(b"\x07" * 65536, 3 << 20)
chunks = []


def chunk(subbuf, offset, status, err):
    chunks.append([offset, len(subbuf), status])
    return 0


got = h.pread_structured(512 << 10, (3 << 20) - (256 << 10), chunk)
out["sparse_read_ok"] = got == bytes(256 << 10) + b"\x07" * 65536 + bytes(192 << 10)
out["chunk_kinds"] = sorted({c[2] for c in chunks})

# Errors: out-of-range requests, sent despite libnbd's own checks.
h.set_strict_mode(0)
errors = {}
for name, fn in [
    ("read_past_end", lambda: h.pread(4096, size - 100)),
    ("write_past_end", lambda: h.pwrite(b"x" * 4096, size - 100)),
    ("zero_past_end", lambda: h.zero(4096, size)),
    ("trim_past_end", lambda: h.trim(4096, size)),
]:
    try:
        fn()
        errors[name] = 0
    except nbd.Error as e:
        # libnbd reports the errno by name (e.g. "EINVAL"); normalise numbers just in case.
        errors[name] = errno.errorcode.get(e.errno, e.errno) if isinstance(e.errno, int) else e.errno
out["errors"] = errors
out["still_works"] = h.pread(4, 5) == b"fua!"

# Multi-conn: a write flushed on one connection is visible on another.
h2 = nbd.NBD()
h2.connect_uri(uri)
h.pwrite(b"conn-one", 8 << 20)
h.flush()
out["multi_conn_visible"] = h2.pread(8, 8 << 20) == b"conn-one"
h2.pwrite(b"conn-two", 9 << 20, nbd.CMD_FLAG_FUA)
out["multi_conn_visible_back"] = h.pread(8, 9 << 20) == b"conn-two"

# Many commands in flight at once on one connection (AIO).
cookies = []
for i in range(64):
    cookies.append(h.aio_pwrite(bytes([i]) * 4096, (16 << 20) + i * 4096))
for c in cookies:
    while not h.aio_command_completed(c):
        h.poll(-1)
out["aio_ok"] = all(h.pread(4096, (16 << 20) + i * 4096) == bytes([i]) * 4096 for i in range(64))

h.shutdown()
h2.shutdown()
print(json.dumps(out))
