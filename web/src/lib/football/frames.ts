// Decoding the server's binary frame chunks ("SLF1", little-endian):
//   16-byte header: "SLF1", uint32 n (frames), uint32 p (players), uint32 flags
//   float32 t[n], float32 ball[n*3] (x, y, z), float32 xy[n*p*2] (x, y per player per frame),
//   uint8 period[n], uint8 ball_state[n] (0 dead, 1 alive, 255 unknown), uint8 owner[n] (0 home, 1 away, 255 unknown)
// NaN means "not observed". The typed arrays are views or copies of the buffer, never re-parsed.

export const FRAME_MAGIC = "SLF1";
export const HEADER_BYTES = 16;
export const BALL_DEAD = 0;
export const BALL_ALIVE = 1;
export const UNKNOWN_U8 = 255;

export interface FrameChunk {
  /** Number of frames. */
  n: number;
  /** Number of players (in the match's `players[].index` order). */
  p: number;
  flags: number;
  /** Timeline seconds per frame, increasing. */
  t: Float32Array;
  /** x, y, z per frame. */
  ball: Float32Array;
  /** x, y per player per frame: frame i, player j at [(i * p + j) * 2]. */
  xy: Float32Array;
  period: Uint8Array;
  ballState: Uint8Array;
  owner: Uint8Array;
}

export class FrameDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameDecodeError";
  }
}

/** The byte length of a chunk of n frames and p players. */
export function chunkByteLength(n: number, p: number): number {
  return HEADER_BYTES + 4 * (n + n * 3 + n * p * 2) + 3 * n;
}

/** Float32 arrays need 4-byte alignment: view the buffer in place when possible, else copy. */
function floats(buffer: ArrayBuffer, byteOffset: number, length: number): Float32Array {
  if (byteOffset % 4 === 0) return new Float32Array(buffer, byteOffset, length);
  const view = new DataView(buffer, byteOffset, length * 4);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function decodeFrames(buffer: ArrayBuffer, byteOffset = 0): FrameChunk {
  const available = buffer.byteLength - byteOffset;
  if (available < HEADER_BYTES) throw new FrameDecodeError(`Frame data too short: ${available} bytes, the header alone is ${HEADER_BYTES}`);
  const header = new DataView(buffer, byteOffset, HEADER_BYTES);
  const magic = String.fromCharCode(header.getUint8(0), header.getUint8(1), header.getUint8(2), header.getUint8(3));
  if (magic !== FRAME_MAGIC) throw new FrameDecodeError(`Not SLF1 frame data (starts with ${JSON.stringify(magic)})`);
  const n = header.getUint32(4, true);
  const p = header.getUint32(8, true);
  const flags = header.getUint32(12, true);
  const expected = chunkByteLength(n, p);
  if (available < expected) {
    throw new FrameDecodeError(`Frame data truncated: ${n} frames of ${p} players need ${expected} bytes, got ${available}`);
  }
  if (!littleEndianHost) throw new FrameDecodeError("Big-endian hosts are not supported");
  let offset = byteOffset + HEADER_BYTES;
  const t = floats(buffer, offset, n);
  offset += 4 * n;
  const ball = floats(buffer, offset, n * 3);
  offset += 12 * n;
  const xy = floats(buffer, offset, n * p * 2);
  offset += 8 * n * p;
  const period = new Uint8Array(buffer, offset, n);
  const ballState = new Uint8Array(buffer, offset + n, n);
  const owner = new Uint8Array(buffer, offset + 2 * n, n);
  return { n, p, flags, t, ball, xy, period, ballState, owner };
}

/** Build an SLF1 buffer (tests, and anything that needs to hand the player synthetic frames). */
export function encodeFrames(chunk: Omit<FrameChunk, "n" | "p" | "flags"> & { p: number; flags?: number }): ArrayBuffer {
  const n = chunk.t.length;
  const p = chunk.p;
  const buffer = new ArrayBuffer(chunkByteLength(n, p));
  const header = new DataView(buffer, 0, HEADER_BYTES);
  for (let i = 0; i < 4; i++) header.setUint8(i, FRAME_MAGIC.charCodeAt(i));
  header.setUint32(4, n, true);
  header.setUint32(8, p, true);
  header.setUint32(12, chunk.flags ?? 0, true);
  let offset = HEADER_BYTES;
  new Float32Array(buffer, offset, n).set(chunk.t);
  offset += 4 * n;
  new Float32Array(buffer, offset, n * 3).set(chunk.ball);
  offset += 12 * n;
  new Float32Array(buffer, offset, n * p * 2).set(chunk.xy);
  offset += 8 * n * p;
  new Uint8Array(buffer, offset, n).set(chunk.period);
  new Uint8Array(buffer, offset + n, n).set(chunk.ballState);
  new Uint8Array(buffer, offset + 2 * n, n).set(chunk.owner);
  return buffer;
}
