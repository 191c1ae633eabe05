// Manual calibration: click at least four known pitch points on a frame and say which point of
// the pitch template each one is. Each calibrated frame is a keyframe: a fixed camera needs one;
// for a panning camera the homography is carried between keyframes by the camera motion, so
// calibrate frames far apart (and one after each camera cut).
import { useEffect, useRef, useState, type MouseEvent } from "react";
import { errorMessage } from "../../api/client";
import type { Job } from "../../api/types";
import { Alert, Spinner } from "../../components/ui";
import { deleteKeyframe, getFrameImage, putCalibration, type CameraMode, type Calibration, type Keyframe } from "./api";
import { LANDMARKS, PITCH_LENGTH, PITCH_WIDTH } from "./pitchTemplate";

interface Pair {
  image: [number, number];
  landmark: string;
}

const SCALE = 3; // template drawing: pixels per metre

function pairsOf(keyframe: Keyframe | undefined): Pair[] {
  return (keyframe?.image_points ?? []).map((p, i) => ({
    image: p,
    landmark: LANDMARKS.find((l) => l.x === keyframe!.pitch_points[i][0] && l.y === keyframe!.pitch_points[i][1])?.id ?? "",
  }));
}

export function CalibrationTool({ orgId, videoId, existing, frameCount, onSaved }: {
  orgId: string;
  videoId: string;
  existing: Calibration | null;
  frameCount: number | null;
  onSaved: (job: Job) => void;
}) {
  const keyframes = existing?.keyframes ?? [];
  const [frame, setFrame] = useState(keyframes[0]?.frame ?? 0);
  const [camera, setCamera] = useState<CameraMode>(existing?.camera ?? "auto");
  const [url, setUrl] = useState<string | null>(null);
  const [pairs, setPairs] = useState<Pair[]>(() => pairsOf(keyframes[0]));
  const [error, setError] = useState<string | null>(null);
  const [residuals, setResiduals] = useState<number[] | null>(keyframes[0]?.residuals_m ?? null);
  const [busy, setBusy] = useState(false);
  const [natural, setNatural] = useState<[number, number] | null>(null); // the frame's size once loaded
  const img = useRef<HTMLImageElement>(null);

  function open(next: number) {
    // Another frame: its own keyframe's points if it has one, else a clean slate.
    const keyframe = keyframes.find((k) => k.frame === next);
    setFrame(next);
    setPairs(pairsOf(keyframe));
    setResiduals(keyframe?.residuals_m ?? null);
  }

  async function remove(target: number) {
    setError(null);
    try {
      onSaved(await deleteKeyframe(orgId, videoId, target));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

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
        ...(camera !== (existing?.camera ?? "auto") ? { camera } : {}),
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
        A panning camera is followed from frame to frame between calibrated keyframes: calibrate frames far apart, and one after each camera cut.
      </p>
      <div className="row">
        <label className="field">
          <span>Frame{frameCount ? ` (0–${frameCount - 1})` : ""}</span>
          <input type="number" min={0} max={frameCount ? frameCount - 1 : undefined} value={frame} data-testid="calibration-frame-index"
            onChange={(e) => open(Math.min(Math.max(0, Number(e.target.value) || 0), frameCount ? frameCount - 1 : Infinity))} />
        </label>
        <label className="field">
          <span>Camera</span>
          <select value={camera} onChange={(e) => setCamera(e.target.value as CameraMode)} data-testid="calibration-camera">
            <option value="auto">Detect (fixed unless it moves)</option>
            <option value="fixed">Fixed: one calibration for the whole video</option>
            <option value="panning">Panning: follow the camera between keyframes</option>
          </select>
        </label>
      </div>
      {keyframes.length > 0 && (
        <div data-testid="calibration-keyframes">
          <span className="muted small">Keyframes: </span>
          {keyframes.map((k) => (
            <span key={k.frame} className="row" style={{ display: "inline-flex", marginRight: 8 }}>
              <button type="button" className="button" aria-pressed={k.frame === frame} onClick={() => open(k.frame)}>frame {k.frame}</button>
              <button type="button" className="button" aria-label={`Remove keyframe ${k.frame}`} onClick={() => void remove(k.frame)}>×</button>
            </span>
          ))}
        </div>
      )}
      <div style={{ position: "relative", display: "inline-block", maxWidth: "100%" }}>
        {url ? (
          <img ref={img} src={url} alt="Video frame" onClick={click}
            onLoad={(e) => setNatural([e.currentTarget.naturalWidth, e.currentTarget.naturalHeight])} style={{ maxWidth: "100%", cursor: "crosshair" }} data-testid="calibration-frame" />
        ) : (
          <Spinner label="Loading the frame…" />
        )}
        {url && natural && (
          <svg viewBox={`0 0 ${natural[0]} ${natural[1]}`} style={{ position: "absolute", inset: 0, width: "100%", height: "100%", pointerEvents: "none" }}>
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
          {busy ? "Saving…" : keyframes.some((k) => k.frame === frame) ? `Update keyframe ${frame}` : `Save frame ${frame} as a keyframe`}
        </button>
        <button type="button" className="button" onClick={() => setPairs([])}>Clear points</button>
        {!complete && <span className="muted small">{Math.max(0, 4 - pairs.length)} more point(s); every point needs its pitch point</span>}
      </div>
    </div>
  );
}
