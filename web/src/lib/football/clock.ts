// The match clock and frame numbers on the timeline (seconds since kick-off, periods end to end).
import type { PeriodSpan } from "./types";

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16] as const;

/** Minutes on the football clock at the start of each period (extra time: 90, 105; penalties: 120). */
const PERIOD_START_MINUTE: Record<number, number> = { 1: 0, 2: 45, 3: 90, 4: 105, 5: 120 };
const PERIOD_NAMES: Record<number, string> = { 1: "1H", 2: "2H", 3: "ET1", 4: "ET2", 5: "PEN" };

/** The period whose span holds `time`, else the last one that started before it (or the first). */
export function periodAt(periods: readonly PeriodSpan[], time: number): PeriodSpan | null {
  if (periods.length === 0) return null;
  let found = periods[0];
  for (const p of periods) if (time >= p.start_s) found = p;
  return found;
}

/** "2H 47:05": the period and the football clock (minute counted on from the period's nominal start). */
export function matchClock(periods: readonly PeriodSpan[], time: number): string {
  const period = periodAt(periods, time);
  const elapsed = Math.max(0, time - (period?.start_s ?? 0));
  const base = period ? (PERIOD_START_MINUTE[period.period_id] ?? 0) * 60 : 0;
  const total = Math.floor(base + elapsed);
  const clock = `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
  return period ? `${PERIOD_NAMES[period.period_id] ?? `P${period.period_id}`} ${clock}` : clock;
}

/**
 * The frame number on the timeline of a frame at timeline second `t`: frames are evenly spaced
 * at `frameRate` from 0, including the slots of frames the provider did not record (so it can
 * exceed the count of stored frames).
 */
export function frameNumber(t: number, frameRate: number | null): number {
  if (!frameRate || !Number.isFinite(t)) return 0;
  return Math.max(0, Math.round(t * frameRate));
}

/** The timeline's span: from the first period's start to the last one's end (or 0..duration). */
export function timelineSpan(periods: readonly PeriodSpan[], duration: number): [number, number] {
  if (periods.length === 0) return [0, Math.max(0, duration)];
  return [Math.min(...periods.map((p) => p.start_s)), Math.max(...periods.map((p) => p.end_s))];
}

/** Playback time after `elapsedMs` of wall time at `speed`, held inside [start, end]. */
export function advance(time: number, elapsedMs: number, speed: number, start: number, end: number): number {
  return Math.min(end, Math.max(start, time + (elapsedMs / 1000) * speed));
}

/** Skip the dead time between periods (half time) while playing: a time in a gap jumps to the next period's start. */
export function skipGaps(periods: readonly PeriodSpan[], time: number): number {
  for (let i = 0; i + 1 < periods.length; i++) {
    if (time > periods[i].end_s && time < periods[i + 1].start_s) return periods[i + 1].start_s;
  }
  return time;
}
