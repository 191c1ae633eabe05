// Positions between two recorded frames, for smooth drawing at the display's refresh rate.
// Linear interpolation of the two bracketing frames; a player (or the ball) that is NaN in
// either frame is NaN in the result, so it is not drawn (never at 0,0 and never slid in from
// where it was last seen). Frames too far apart (a gap in the recording) are not blended.
import type { FrameChunk } from "./frames";

export interface FrameRef {
  chunk: FrameChunk;
  index: number;
}

/** The largest i with t[i] <= time (-1 when time is before the first frame); t is increasing. */
export function frameAtOrBefore(t: ArrayLike<number>, time: number): number {
  let lo = 0;
  let hi = t.length - 1;
  if (hi < 0 || time < t[0]) return -1;
  if (time >= t[hi]) return hi;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid] <= time) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const frameTime = (ref: FrameRef) => ref.chunk.t[ref.index];

/**
 * The frames around `time`: `before` at or before it, `after` at or after it (the same frame
 * when time falls exactly on one). `neighbours` are the chunks before and after `chunk`, so a time
 * between two chunks still finds both of its frames when they are loaded.
 */
export function bracket(
  chunk: FrameChunk,
  time: number,
  neighbours: { previous?: FrameChunk; next?: FrameChunk } = {},
): { before: FrameRef | null; after: FrameRef | null } {
  const i = frameAtOrBefore(chunk.t, time);
  let before: FrameRef | null = null;
  if (i >= 0) before = { chunk, index: i };
  else if (neighbours.previous && neighbours.previous.n > 0) before = { chunk: neighbours.previous, index: neighbours.previous.n - 1 };
  if (before && frameTime(before) === time) return { before, after: before };
  let after: FrameRef | null = null;
  if (i + 1 < chunk.n) after = { chunk, index: i + 1 };
  else if (neighbours.next && neighbours.next.n > 0) after = { chunk: neighbours.next, index: 0 };
  return { before, after };
}

export interface Sample {
  /** x, y per player (NaN: not drawn). */
  players: Float32Array;
  /** x, y, z of the ball (NaN: not drawn; z may be NaN alone). */
  ball: Float32Array;
  /** The recorded frame nearest to the time (for the frame counter, period, ball state), or null. */
  nearest: FrameRef | null;
}

export function emptySample(p: number): Sample {
  return { players: new Float32Array(p * 2).fill(NaN), ball: new Float32Array(3).fill(NaN), nearest: null };
}

function lerpPair(a: Float32Array, ia: number, b: Float32Array, ib: number, w: number, out: Float32Array, io: number) {
  const ax = a[ia], ay = a[ia + 1], bx = b[ib], by = b[ib + 1];
  if (Number.isNaN(ax) || Number.isNaN(ay) || Number.isNaN(bx) || Number.isNaN(by)) {
    out[io] = NaN;
    out[io + 1] = NaN;
  } else {
    out[io] = ax + (bx - ax) * w;
    out[io + 1] = ay + (by - ay) * w;
  }
}

function copyFrame(ref: FrameRef, out: Sample) {
  const { chunk, index } = ref;
  out.players.set(chunk.xy.subarray(index * chunk.p * 2, (index + 1) * chunk.p * 2));
  out.ball.set(chunk.ball.subarray(index * 3, index * 3 + 3));
}

/**
 * Fill `out` with the positions at `time` between the frames `before` and `after`.
 * `maxGap` (seconds): frames further apart than this are not blended; the nearer one is shown
 * if it lies within maxGap / 2 of the time, else nothing is.
 */
export function interpolate(before: FrameRef | null, after: FrameRef | null, time: number, out: Sample, maxGap = 1): Sample {
  const p = out.players.length / 2;
  if (!before && !after) {
    out.players.fill(NaN);
    out.ball.fill(NaN);
    out.nearest = null;
    return out;
  }
  if (!before || !after || before.chunk.p !== p || after.chunk.p !== p) {
    const only = (before ?? after)!;
    out.nearest = only;
    if (Math.abs(frameTime(only) - time) <= maxGap / 2 && only.chunk.p === p) copyFrame(only, out);
    else {
      out.players.fill(NaN);
      out.ball.fill(NaN);
    }
    return out;
  }
  const t0 = frameTime(before);
  const t1 = frameTime(after);
  const nearer = time - t0 <= t1 - time ? before : after;
  out.nearest = nearer;
  if (before.chunk === after.chunk && before.index === after.index) {
    copyFrame(before, out);
    return out;
  }
  if (t1 - t0 > maxGap) {
    return interpolate(nearer, null, time, out, maxGap);
  }
  const w = t1 > t0 ? Math.min(1, Math.max(0, (time - t0) / (t1 - t0))) : 0;
  const a = before.chunk.xy, b = after.chunk.xy;
  const ia = before.index * p * 2, ib = after.index * p * 2;
  for (let j = 0; j < p; j++) lerpPair(a, ia + 2 * j, b, ib + 2 * j, w, out.players, 2 * j);
  const ba = before.chunk.ball, bb = after.chunk.ball;
  lerpPair(ba, before.index * 3, bb, after.index * 3, w, out.ball, 0);
  const za = ba[before.index * 3 + 2], zb = bb[after.index * 3 + 2];
  out.ball[2] = Number.isNaN(out.ball[0]) || Number.isNaN(za) || Number.isNaN(zb) ? NaN : za + (zb - za) * w;
  return out;
}
