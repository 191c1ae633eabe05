// Manual calibration: click at least four known pitch points on a frame and say which point of
// the pitch template each one is. A fixed camera: one calibration holds for the whole video.
import { useEffect, useRef, useState, type MouseEvent } from "react";
import { errorMessage } from "../../api/client";
import type { Job } from "../../api/types";
import { Alert, Spinner } from "../../components/ui";
import { getFrameImage, putCalibration, type Calibration } from "./api";
import { LANDMARKS, PITCH_LENGTH, PITCH_WIDTH } from "./pitchTemplate";

interface Pair {
  image: [number, number];
  landmark: string;
}

const SCALE = 3; // template drawing: pixels per metre

export function CalibrationTool({ orgId, videoId, existing, onSaved }: {
  orgId: string;
  videoId: string;
  existing: Calibration | null;
  onSaved: (job: Job) => void;
}) {
  const [frame, setFrame] = useState(existing?.frame ?? 0);
  const [url, setUrl] = useState<string | null>(null);
  const [pairs, setPairs] = useState<Pair[]>(() =>
    (existing?.image_points ?? []).map((p, i) => ({
      image: p,
      landmark: LANDMARKS.find((l) => l.x === existing!.pitch_points[i][0] && l.y === existing!.pitch_points[i][1])?.id ?? "",
    })),
  );
  const [error, setError] = useState<string | null>(null);
  const [residuals, setResiduals] = useState<number[] | null>(existing?.residuals_m ?? null);
  const [busy, setBusy] = useState(false);
  const img = useRef<HTMLImageElement>(null);

  useEffect(() => {
    let revoked: string | null = null;
    setUrl(null);
    getFrameImage(orgId, videoId, frame)
      .then((blob) => setUrl((revoked = URL.createObjectURL(blob))))
      .catch((err) => setError(errorMessage(err)));
    return () => {
      if (revoked) URL.revokeObjectURL(revoked);
    };
  }, [orgId, videoId, frame]);

  function click(e: MouseEvent<HTMLImageElement>) {
    const el = img.current;
    if (!el) return;
    const box = el.getBoundingClientRect();
    // Store video pixels, whatever size the frame is shown at.
    const x = ((e.clientX - box.left) / box.width) * el.naturalWidth;
    const y = ((e.clientY - box.top) / box.height) * el.naturalHeight;
    setPairs((list) => [...list, { image: [Math.round(x * 10) / 10, Math.round(y * 10) / 10], landmark: "" }]);
  }

  async function save() {
    setBusy(true);
    setError(null);
    try {
      const chosen = pairs.map((p) => LANDMARKS.find((l) => l.id === p.landmark)!);
      const result = await putCalibration(orgId, videoId, {
        image_points: pairs.map((p) => p.image),
        pitch_points: chosen.map((l) => [l.x, l.y]),
        frame,
      });
      setResiduals(result.residuals_m);
      onSaved(result.job);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const complete = pairs.length >= 4 && pairs.every((p) => p.landmark);
  return (
    <div className="card" data-testid="calibration-tool">
      <h2>Calibration</h2>
      <p className="muted small">
        Click a point you can identify on the pitch (a corner, where lines cross), then pick which point it is. At least four, spread over the picture, no three on one line.
      </p>
      <label className="field">
        <span>Frame</span>
        <input type="number" min={0} value={frame} onChange={(e) => setFrame(Math.max(0, Number(e.target.value) || 0))} />
      </label>
      <div style={{ position: "relative", display: "inline-block", maxWidth: "100%" }}>
        {url ? (
          <img ref={img} src={url} alt="Video frame" onClick={click} style={{ maxWidth: "100%", cursor: "crosshair" }} data-testid="calibration-frame" />
        ) : (
          <Spinner label="Loading the frame…" />
        )}
        {url && img.current && (
          <svg viewBox={`0 0 ${img.current.naturalWidth} ${img.current.naturalHeight}`} style={{ position: "absolute", inset: 0, width: "100%", height: "100%", pointerEvents: "none" }}>
            {pairs.map((p, i) => (
              <g key={i}>
                <circle cx={p.image[0]} cy={p.image[1]} r={6} fill="none" stroke="#ff0" strokeWidth={2} />
                <text x={p.image[0] + 8} y={p.image[1] - 8} fill="#ff0" fontSize={16}>{i + 1}</text>
              </g>
            ))}
          </svg>
        )}
      </div>
      <ol data-testid="calibration-points">
        {pairs.map((p, i) => (
          <li key={i} className="row">
            <span className="small">({p.image[0].toFixed(0)}, {p.image[1].toFixed(0)}) px →</span>
            <select value={p.landmark} onChange={(e) => setPairs((list) => list.map((q, j) => (j === i ? { ...q, landmark: e.target.value } : q)))}>
              <option value="">Which pitch point?</option>
              {LANDMARKS.map((l) => <option key={l.id} value={l.id}>{l.label}</option>)}
            </select>
            {residuals && residuals[i] !== undefined && <span className="muted small">{residuals[i].toFixed(2)} m off</span>}
            <button type="button" className="button" onClick={() => setPairs((list) => list.filter((_, j) => j !== i))}>Remove</button>
          </li>
        ))}
      </ol>
      <svg width={PITCH_LENGTH * SCALE + 20} height={PITCH_WIDTH * SCALE + 20} aria-label="Pitch template" style={{ background: "#2d6a3e", maxWidth: "100%" }}>
        <g transform={`translate(10 10)`} stroke="#fff" fill="none" strokeWidth={1}>
          <rect width={PITCH_LENGTH * SCALE} height={PITCH_WIDTH * SCALE} />
          <line x1={(PITCH_LENGTH / 2) * SCALE} x2={(PITCH_LENGTH / 2) * SCALE} y1={0} y2={PITCH_WIDTH * SCALE} />
          <circle cx={(PITCH_LENGTH / 2) * SCALE} cy={(PITCH_WIDTH / 2) * SCALE} r={9.15 * SCALE} />
          {[0, PITCH_LENGTH - 16.5].map((x) => <rect key={x} x={x * SCALE} y={(PITCH_WIDTH / 2 - 20.16) * SCALE} width={16.5 * SCALE} height={40.32 * SCALE} />)}
          {[0, PITCH_LENGTH - 5.5].map((x) => <rect key={x} x={x * SCALE} y={(PITCH_WIDTH / 2 - 9.16) * SCALE} width={5.5 * SCALE} height={18.32 * SCALE} />)}
          {pairs.map((p, i) => {
            const l = LANDMARKS.find((m) => m.id === p.landmark);
            if (!l) return null;
            const cx = (l.x + PITCH_LENGTH / 2) * SCALE;
            const cy = (PITCH_WIDTH / 2 - l.y) * SCALE;
            return (
              <g key={i}>
                <circle cx={cx} cy={cy} r={5} stroke="#ff0" strokeWidth={2} />
                <text x={cx + 6} y={cy - 6} fill="#ff0" stroke="none" fontSize={12}>{i + 1}</text>
              </g>
            );
          })}
        </g>
      </svg>
      {error && <Alert onDismiss={() => setError(null)} testId="calibration-error">{error}</Alert>}
      <div className="row">
        <button type="button" className="button button-primary" disabled={!complete || busy} onClick={() => void save()} data-testid="calibration-save">
          {busy ? "Saving…" : "Save and project"}
        </button>
        <button type="button" className="button" onClick={() => setPairs([])}>Clear points</button>
        {!complete && <span className="muted small">{Math.max(0, 4 - pairs.length)} more point(s); every point needs its pitch point</span>}
      </div>
    </div>
  );
}
