import { describe, expect, it } from "vitest";
import type { FrameChunk } from "./frames";
import { bracket, emptySample, frameAtOrBefore, interpolate } from "./interpolate";

/** A chunk of players moving along x; `xy[i][j]` = [x, y] of player j in frame i. */
function chunkOf(t: number[], xy: [number, number][][], ball?: [number, number, number][]): FrameChunk {
  const n = t.length;
  const p = xy[0]?.length ?? 0;
  return {
    n, p, flags: 0,
    t: Float32Array.from(t),
    xy: Float32Array.from(xy.flat(2)),
    ball: Float32Array.from((ball ?? t.map(() => [NaN, NaN, NaN] as [number, number, number])).flat()),
    period: new Uint8Array(n).fill(1),
    ballState: new Uint8Array(n).fill(1),
    owner: new Uint8Array(n).fill(255),
  };
}

describe("frameAtOrBefore", () => {
  const t = [0, 0.1, 0.2, 0.3, 5];
  it("finds the frame at or before a time by bisection", () => {
    expect(frameAtOrBefore(t, -1)).toBe(-1);
    expect(frameAtOrBefore(t, 0)).toBe(0);
    expect(frameAtOrBefore(t, 0.15)).toBe(1);
    expect(frameAtOrBefore(t, 0.3)).toBe(3);
    expect(frameAtOrBefore(t, 4.99)).toBe(3);
    expect(frameAtOrBefore(t, 100)).toBe(4);
    expect(frameAtOrBefore([], 1)).toBe(-1);
  });
});

describe("interpolate", () => {
  const chunk = chunkOf(
    [10, 10.1, 10.2],
    [
      [[0, 0], [5, 5], [NaN, NaN]],
      [[1, -2], [NaN, NaN], [3, 3]],
      [[2, -4], [7, 7], [4, 4]],
    ],
    [[0, 0, 0], [1, 1, NaN], [2, 2, 1]],
  );

  it("blends linearly between the two bracketing frames", () => {
    const { before, after } = bracket(chunk, 10.025);
    expect(before?.index).toBe(0);
    expect(after?.index).toBe(1);
    const s = interpolate(before, after, 10.025, emptySample(3));
    expect(s.players[0]).toBeCloseTo(0.25, 4);
    expect(s.players[1]).toBeCloseTo(-0.5, 4);
    expect(s.nearest?.index).toBe(0);
  });

  it("does not draw a player that is NaN in either frame", () => {
    const s = interpolate(...Object.values(bracket(chunk, 10.05)) as [never, never], 10.05, emptySample(3));
    expect(s.players[2]).toBeNaN(); // player 1: missing in frame 1
    expect(s.players[3]).toBeNaN();
    expect(s.players[4]).toBeNaN(); // player 2: missing in frame 0
    const later = bracket(chunk, 10.15);
    const s2 = interpolate(later.before, later.after, 10.15, emptySample(3));
    expect(s2.players[2]).toBeNaN(); // player 1 is back in frame 2, but not in frame 1
    expect(s2.players[4]).toBeCloseTo(3.5, 4);
    expect(s2.players[5]).toBeCloseTo(3.5, 4);
  });

  it("shows a frame exactly as recorded when the time falls on it", () => {
    const { before, after } = bracket(chunk, Math.fround(10.1));
    expect(before).toBe(after);
    const s = interpolate(before, after, Math.fround(10.1), emptySample(3));
    expect(Array.from(s.players.subarray(4))).toEqual([3, 3]);
    expect(s.players[2]).toBeNaN();
  });

  it("blends the ball's height only when both frames have one", () => {
    const a = bracket(chunk, 10.05);
    const s = interpolate(a.before, a.after, 10.05, emptySample(3));
    expect(s.ball[0]).toBeCloseTo(0.5, 4);
    expect(s.ball[2]).toBeNaN();
    const b = bracket(chunk, 10.15);
    const s2 = interpolate(b.before, b.after, 10.15, emptySample(3));
    expect(s2.ball[1]).toBeCloseTo(1.5, 4);
    expect(s2.ball[2]).toBeNaN(); // frame 1 has no height
  });

  it("does not blend across a gap in the recording", () => {
    const gappy = chunkOf([0, 0.1, 10, 10.1], [[[0, 0]], [[1, 0]], [[50, 0]], [[51, 0]]]);
    const mid = bracket(gappy, 5);
    expect(interpolate(mid.before, mid.after, 5, emptySample(1)).players[0]).toBeNaN();
    const nearEnd = bracket(gappy, 9.8);
    expect(interpolate(nearEnd.before, nearEnd.after, 9.8, emptySample(1)).players[0]).toBe(50);
  });

  it("bridges two chunks when the time lies between them", () => {
    const first = chunkOf([59.8, 59.9], [[[0, 0]], [[1, 1]]]);
    const second = chunkOf([60.0, 60.1], [[[2, 2]], [[3, 3]]]);
    const atEnd = bracket(first, 59.95, { next: second });
    expect(atEnd.after?.chunk).toBe(second);
    expect(interpolate(atEnd.before, atEnd.after, 59.95, emptySample(1)).players[0]).toBeCloseTo(1.5, 4);
    const atStart = bracket(second, 59.95, { previous: first });
    expect(atStart.before?.chunk).toBe(first);
    expect(interpolate(atStart.before, atStart.after, 59.95, emptySample(1)).players[1]).toBeCloseTo(1.5, 4);
    // Without the next chunk, the last frame is held briefly, then nothing is drawn.
    const alone = bracket(first, 59.95);
    expect(interpolate(alone.before, alone.after, 59.95, emptySample(1)).players[0]).toBe(1);
    expect(interpolate(alone.before, alone.after, 61, emptySample(1)).players[0]).toBeNaN();
  });
});
