"""Reads blocks 0..BLOCKS-1 of an NBD export and prints one line per block:
  <block> <seq>   the block holds write #seq, intact
  <block> 0       the block is all zeroes (never written)
  <block> BAD     anything else (torn, misplaced, foreign data)

usage: nbd_block_reader.py URI BLOCKS
"""
import struct
import sys

import nbd
from nbd_blocks import BS, block_bytes as expected

CHUNK = 256


def main():
    uri, blocks = sys.argv[1], int(sys.argv[2])
    h = nbd.NBD()
    h.connect_uri(uri)
    zero = bytes(BS)
    lines = []
    for first in range(0, blocks, CHUNK):
        n = min(CHUNK, blocks - first)
        buf = h.pread(n * BS, first * BS)
        for i in range(n):
            b = first + i
            data = buf[i * BS:(i + 1) * BS]
            if data == zero:
                lines.append(f"{b} 0")
                continue
            if data[:6] == b"TGBLK\0":
                seq, blk = struct.unpack("<QQ", data[6:22])
                if blk == b and data == expected(seq, b):
                    lines.append(f"{b} {seq}")
                    continue
            lines.append(f"{b} BAD")
    h.shutdown()
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
