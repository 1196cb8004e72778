"""Writes self-describing 4 KiB blocks to an NBD export through libnbd (the library behind
nbdsh) and says what it did on stdout, for the crash tests:

  W <seq> <block>   about to write (printed BEFORE the write is sent)
  A <seq>           the write was acknowledged
  F <seq>           a flush was acknowledged: every write up to seq is durable

Each block holds b"TGBLK\\0" + seq + block + a pattern derived from both, so a reader can
tell which write a block holds and whether it is torn. Exits 0 after --ops writes, or 3 when
the server goes away (the test killed it).

usage: nbd_block_writer.py URI FIRST_SEQ OPS BLOCKS SEED FLUSH_EVERY [FUA_EVERY]
"""
import random
import sys

import nbd
from nbd_blocks import BS, block_bytes


def main():
    uri, first, ops, blocks, seed, flush_every = sys.argv[1:7]
    fua_every = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    first, ops, blocks, flush_every = int(first), int(ops), int(blocks), int(flush_every)
    rnd = random.Random(int(seed))
    h = nbd.NBD()
    h.connect_uri(uri)
    out = sys.stdout
    try:
        for seq in range(first, first + ops):
            b = rnd.randrange(blocks)
            out.write(f"W {seq} {b}\n")
            out.flush()
            fua = fua_every and seq % fua_every == 0
            h.pwrite(block_bytes(seq, b), b * BS, nbd.CMD_FLAG_FUA if fua else 0)
            out.write(f"A {seq}\n" if not fua else f"A {seq}\nF {seq}\n")
            if flush_every and seq % flush_every == 0:
                h.flush()
                out.write(f"F {seq}\n")
            out.flush()
    except nbd.Error as e:
        out.write(f"X {e}\n")
        out.flush()
        sys.exit(3)
    h.flush()
    out.write(f"F {first + ops - 1}\n")
    out.flush()
    h.shutdown()


if __name__ == "__main__":
    main()
