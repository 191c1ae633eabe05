import { describe, expect, it } from "vitest";
import { chunkByteLength, decodeFrames, encodeFrames, FrameDecodeError, HEADER_BYTES } from "./frames";

/** An SLF1 buffer written byte by byte with DataView, independently of encodeFrames. */
function handBuilt(): ArrayBuffer {
  const n = 2, p = 3;
  const buffer = new ArrayBuffer(HEADER_BYTES + 4 * (n + 3 * n + 2 * n * p) + 3 * n);
  const view = new DataView(buffer);
  "SLF1".split("").forEach((c, i) => view.setUint8(i, c.charCodeAt(0)));
  view.setUint32(4, n, true);
  view.setUint32(8, p, true);
  view.setUint32(12, 0, true);
  let o = HEADER_BYTES;
  const f = (v: number) => {
    view.setFloat32(o, v, true);
    o += 4;
  };
  [10, 10.1].forEach(f); // t
  [1, 2, 0.5, NaN, NaN, NaN].forEach(f); // ball
  [-52.5, 34, 0, 0, 7.25, NaN, /* frame 1 */ -52, 33.5, NaN, NaN, 8, -1].forEach(f); // xy
  [1, 2].forEach((v) => view.setUint8(o++, v)); // period
  [1, 255].forEach((v) => view.setUint8(o++, v)); // ball state
  [0, 255].forEach((v) => view.setUint8(o++, v)); // owner
  expect(o).toBe(buffer.byteLength);
  return buffer;
}

describe("decodeFrames", () => {
  it("reads every section of a hand-built buffer", () => {
    const chunk = decodeFrames(handBuilt());
    expect(chunk.n).toBe(2);
    expect(chunk.p).toBe(3);
    expect(chunk.flags).toBe(0);
    expect(Array.from(chunk.t)).toEqual([10, Math.fround(10.1)]);
    expect(Array.from(chunk.ball.subarray(0, 3))).toEqual([1, 2, 0.5]);
    expect(chunk.ball.subarray(3).every(Number.isNaN)).toBe(true);
    // player 2 of frame 0 has x but no y; player 1 of frame 1 is missing
    expect(chunk.xy[(0 * 3 + 2) * 2]).toBe(7.25);
    expect(chunk.xy[(0 * 3 + 2) * 2 + 1]).toBeNaN();
    expect(chunk.xy[(1 * 3 + 1) * 2]).toBeNaN();
    expect(chunk.xy[(1 * 3 + 2) * 2 + 1]).toBe(-1);
    expect(chunk.xy[0]).toBe(-52.5);
    expect(Array.from(chunk.period)).toEqual([1, 2]);
    expect(Array.from(chunk.ballState)).toEqual([1, 255]);
    expect(Array.from(chunk.owner)).toEqual([0, 255]);
  });

  it("round-trips what encodeFrames writes, and reads at an unaligned offset", () => {
    const original = decodeFrames(handBuilt());
    const encoded = new Uint8Array(encodeFrames(original));
    expect(encoded).toEqual(new Uint8Array(handBuilt()));
    const shifted = new Uint8Array(encoded.length + 1);
    shifted.set(encoded, 1);
    const again = decodeFrames(shifted.buffer, 1);
    expect(Array.from(again.xy).map(String)).toEqual(Array.from(original.xy).map(String));
    expect(Array.from(again.t)).toEqual(Array.from(original.t));
  });

  it("accepts an empty chunk", () => {
    const empty = encodeFrames({
      p: 22, t: new Float32Array(0), ball: new Float32Array(0), xy: new Float32Array(0),
      period: new Uint8Array(0), ballState: new Uint8Array(0), owner: new Uint8Array(0),
    });
    expect(empty.byteLength).toBe(chunkByteLength(0, 22));
    const chunk = decodeFrames(empty);
    expect(chunk.n).toBe(0);
    expect(chunk.p).toBe(22);
  });

  it("rejects bad magic, a short header and truncated data with a precise message", () => {
    const good = handBuilt();
    const bad = good.slice(0);
    new Uint8Array(bad)[3] = "2".charCodeAt(0);
    expect(() => decodeFrames(bad)).toThrow(/Not SLF1 frame data \(starts with "SLF2"\)/);
    expect(() => decodeFrames(good.slice(0, 10))).toThrow(FrameDecodeError);
    expect(() => decodeFrames(good.slice(0, good.byteLength - 1))).toThrow(/2 frames of 3 players need 102 bytes, got 101/);
  });
});
