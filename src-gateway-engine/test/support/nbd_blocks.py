"""The self-describing 4 KiB blocks the crash tests write and check: b"TGBLK\\0", the write's
sequence number and block number, then a pattern derived from both, so a reader can tell
which write a block holds and whether it is torn or misplaced."""
import random
import struct

BS = 4096


def block_bytes(seq, block):
    head = b"TGBLK\0" + struct.pack("<QQ", seq, block)
    rnd = random.Random(seq * 1000003 + block)
    return head + rnd.randbytes(BS - len(head))
