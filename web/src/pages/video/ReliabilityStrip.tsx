// The calibration's reliability along the video's timeline: frames whose pitch positions were
// left out (red), camera cuts (dark ticks), calibrated keyframes (yellow marks) and the playhead.
// Clicking the strip seeks the video there.
import type { Calibration } from "./api";

export function ReliabilityStrip({ calibration, duration, fps, time, onSeek }: {
  calibration: Calibration | null;
  duration: number;
  fps: number;
  time: number;
  onSeek: (t: number) => void;
}) {
  if (!calibration || !(duration > 0)) return null;
  const summary = calibration.summary;
  const at = (t: number) => `${Math.min(100, Math.max(0, (t / duration) * 100))}%`;
  const frame = 1 / (fps || 25);
  const share = summary ? summary.reliable_frames / Math.max(1, summary.frames) : null;
  return (
    <div className="small" data-testid="reliability">
      <div
        data-testid="reliability-strip"
        role="slider"
        aria-label="Calibration reliability along the video (click to seek)"
        aria-valuemin={0}
        aria-valuemax={duration}
        aria-valuenow={time}
        tabIndex={0}
        onClick={(e) => {
          const box = e.currentTarget.getBoundingClientRect();
          onSeek(((e.clientX - box.left) / box.width) * duration);
        }}
        style={{ position: "relative", height: 14, background: "var(--success, #2e8b57)", borderRadius: 3, cursor: "pointer", margin: "6px 0" }}
      >
        {summary?.unreliable_spans.map(([t0, t1, reason], i) => (
          <span key={i} data-testid="unreliable-span" title={`${t0.toFixed(2)}–${t1.toFixed(2)} s: ${reason}`}
            style={{ position: "absolute", top: 0, bottom: 0, left: at(t0), width: `calc(${at(t1 + frame)} - ${at(t0)})`, background: "var(--danger, #c0392b)" }} />
        ))}
        {summary?.cuts.map((t) => (
          <span key={`c${t}`} data-testid="cut-mark" title={`camera cut at ${t.toFixed(2)} s`}
            style={{ position: "absolute", top: -2, bottom: -2, left: at(t), width: 2, background: "#111" }} />
        ))}
        {calibration.keyframes.map((k) => (
          <span key={`k${k.frame}`} data-testid="keyframe-mark" title={`keyframe: frame ${k.frame}`}
            style={{ position: "absolute", top: 2, left: `calc(${at(k.frame * frame)} - 5px)`, width: 10, height: 10, background: "#ffdc00", transform: "rotate(45deg)" }} />
        ))}
        <span style={{ position: "absolute", top: -3, bottom: -3, left: at(time), width: 2, background: "#fff", boxShadow: "0 0 2px #000" }} />
      </div>
      {summary ? (
        <span className="muted">
          {summary.mode === "fixed" ? "Fixed camera: one calibration for the whole video. " : "Panning camera: calibration followed between keyframes. "}
          {share !== null && `${(share * 100).toFixed(0)} % of frames reliable`}
          {summary.unreliable_spans.length > 0 && " (red: no pitch positions there; add a keyframe inside to recover them)"}
        </span>
      ) : (
        <span className="muted">Projecting with the new calibration…</span>
      )}
    </div>
  );
}

/** Whether time t lies in one of the calibration's unreliable spans (and why). */
export function unreliableAt(calibration: Calibration | null, t: number, fps: number): string | null {
  const half = 0.5 / (fps || 25);
  const span = calibration?.summary?.unreliable_spans.find(([t0, t1]) => t >= t0 - half && t <= t1 + half);
  return span ? span[2] : null;
}
