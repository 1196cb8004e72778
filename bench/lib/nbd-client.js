/**
 * A minimal NBD client (fixed newstyle handshake, NBD_OPT_GO, NBD_CMD_READ, NBD_CMD_DISC)
 * so the restart measurement can time one read without a helper process's start-up cost.
 */
import { connect } from 'node:net';

const NBDMAGIC = 0x4e42444d41474943n;
const IHAVEOPT = 0x49484156454f5054n;
const OPT_REPLY_MAGIC = 0x3e889045565a9n;
const NBD_OPT_GO = 7;
const NBD_REP_ACK = 1;
const NBD_REP_INFO = 3;
const REQUEST_MAGIC = 0x25609513;
const SIMPLE_REPLY_MAGIC = 0x67446698;
const CMD_READ = 0;
const CMD_DISC = 2;

class Reader {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.waiter = undefined;
    this.error = undefined;
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.kick();
    });
    const fail = (e) => {
      this.error = e ?? new Error('connection closed');
      this.kick();
    };
    sock.on('error', fail);
    sock.on('close', () => fail());
  }
  kick() {
    const w = this.waiter;
    if (w && (this.buf.length >= w.n || this.error)) {
      this.waiter = undefined;
      if (this.buf.length >= w.n) {
        const out = this.buf.subarray(0, w.n);
        this.buf = this.buf.subarray(w.n);
        w.resolve(out);
      } else w.reject(this.error);
    }
  }
  read(n) {
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.kick();
    });
  }
}

/** Connect, negotiate `exportName`, read `length` bytes at `offset`, disconnect. */
export async function nbdRead(port, exportName, offset, length, host = '127.0.0.1') {
  const sock = connect({ port, host });
  sock.setNoDelay(true);
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const r = new Reader(sock);
  try {
    const hello = await r.read(18);
    if (hello.readBigUInt64BE(0) !== NBDMAGIC || hello.readBigUInt64BE(8) !== IHAVEOPT) throw new Error('not a newstyle NBD server');
    const serverFlags = hello.readUInt16BE(16);
    sock.write(Buffer.from([0, 0, 0, serverFlags & 2 ? 3 : 1])); // FIXED_NEWSTYLE | NO_ZEROES when offered
    const name = Buffer.from(exportName);
    const opt = Buffer.alloc(16 + 4 + name.length + 2);
    opt.writeBigUInt64BE(IHAVEOPT, 0);
    opt.writeUInt32BE(NBD_OPT_GO, 8);
    opt.writeUInt32BE(4 + name.length + 2, 12);
    opt.writeUInt32BE(name.length, 16);
    name.copy(opt, 20);
    opt.writeUInt16BE(0, 20 + name.length);
    sock.write(opt);
    for (;;) {
      const h = await r.read(20);
      if (h.readBigUInt64BE(0) !== OPT_REPLY_MAGIC) throw new Error('bad option reply magic');
      const type = h.readUInt32BE(12);
      const len = h.readUInt32BE(16);
      const body = len ? await r.read(len) : Buffer.alloc(0);
      if (type === NBD_REP_ACK) break;
      if (type === NBD_REP_INFO) continue;
      throw new Error(`NBD_OPT_GO refused: reply type 0x${type.toString(16)} ${body.subarray(0).toString()}`);
    }
    const req = Buffer.alloc(28);
    req.writeUInt32BE(REQUEST_MAGIC, 0);
    req.writeUInt16BE(0, 4);
    req.writeUInt16BE(CMD_READ, 6);
    req.writeBigUInt64BE(1n, 8);
    req.writeBigUInt64BE(BigInt(offset), 16);
    req.writeUInt32BE(length, 24);
    sock.write(req);
    const rep = await r.read(16);
    if (rep.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC) throw new Error('bad reply magic (structured replies not negotiated)');
    const err = rep.readUInt32BE(4);
    if (err !== 0) throw new Error(`NBD read failed with errno ${err}`);
    const data = Buffer.from(await r.read(length));
    const disc = Buffer.alloc(28);
    disc.writeUInt32BE(REQUEST_MAGIC, 0);
    disc.writeUInt16BE(CMD_DISC, 6);
    sock.end(disc);
    return data;
  } finally {
    sock.destroy();
  }
}
