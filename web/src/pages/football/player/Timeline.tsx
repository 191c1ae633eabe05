// The scrub bar over the whole match: period bands, shot and goal markers, and a range input the
// player moves while it plays (written through `inputRef`, not React state, 60 times a second).
import type { RefObject } from "react";
import { formatSeconds } from "../../../lib/football/labels";
import type { PeriodSpan } from "../../../lib/football/types";

const PERIOD_LABELS: Record<number, string> = { 1: "1st half", 2: "2nd half", 3: "ET 1", 4: "ET 2", 5: "Penalties" };

export interface TimelineMarker {
  t: number;
  kind: "goal" | "shot";
  side: "home" | "away" | null;
  label: string;
}

export function Timeline({ start, end, periods, markers, inputRef, onSeek, onScrub }: {
  start: number;
  end: number;
  periods: readonly PeriodSpan[];
  markers: readonly TimelineMarker[];
  inputRef: RefObject<HTMLInputElement | null>;
  onSeek: (t: number) => void;
  onScrub: (active: boolean) => void;
}) {
  const span = Math.max(1e-9, end - start);
  const pct = (t: number) => `${(((t - start) / span) * 100).toFixed(3)}%`;
  return (
    <div className="fb-timeline">
      <div className="fb-markers">
        {markers.map((m, i) => (
          <button
            key={i}
            type="button"
            className={`fb-marker fb-marker-${m.kind}${m.side ? ` fb-marker-${m.side}` : ""}`}
            style={{ left: pct(m.t) }}
            title={m.label}
            aria-label={m.label}
            data-testid={`marker-${m.kind}`}
            onClick={() => onSeek(m.t)}
          />
        ))}
      </div>
      <input
        ref={inputRef}
        type="range"
        className="fb-scrub"
        min={start}
        max={end}
        step={0.1}
        defaultValue={start}
        aria-label="Match time"
        data-testid="scrub"
        onInput={(e) => onSeek(Number((e.target as HTMLInputElement).value))}
        onPointerDown={() => onScrub(true)}
        onPointerUp={() => onScrub(false)}
        onPointerCancel={() => onScrub(false)}
        onBlur={() => onScrub(false)}
      />
      <div className="fb-periods">
        {periods.map((p) => (
          <div
            key={p.period_id}
            className="fb-period"
            style={{ left: pct(p.start_s), width: `${(((p.end_s - p.start_s) / span) * 100).toFixed(3)}%` }}
            title={`Period ${p.period_id}: ${formatSeconds(p.start_s)}–${formatSeconds(p.end_s)}`}
            data-testid="timeline-period"
          >
            {PERIOD_LABELS[p.period_id] ?? `P${p.period_id}`}
          </div>
        ))}
      </div>
    </div>
  );
}

const isGoal = (type: string, result: string | null) => type.toLowerCase() === "goal" || (result ?? "").toLowerCase() === "goal";
const isShot = (type: string) => /shot/i.test(type);

/** Shots and goals of the event list as timeline markers. */
export function markersFrom(events: readonly { timeline: number; type: string; result: string | null; side: "home" | "away" | null }[]): TimelineMarker[] {
  const out: TimelineMarker[] = [];
  for (const e of events) {
    const goal = isGoal(e.type, e.result);
    if (!goal && !isShot(e.type)) continue;
    out.push({
      t: e.timeline,
      kind: goal ? "goal" : "shot",
      side: e.side,
      label: `${goal ? "Goal" : "Shot"}${e.side ? ` (${e.side})` : ""} at ${formatSeconds(e.timeline)}`,
    });
  }
  return out;
}
