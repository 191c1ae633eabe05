// The video with a live overlay: the annotated MP4 (boxes burnt in) or the original upload, and
// on top a canvas drawing the tracked boxes, labels, ball and a requested pose (skeleton) for the
// current time (toggles); below it the calibration's reliability along the timeline.
import { useEffect, useRef, useState } from "react";
import { errorMessage } from "../../api/client";
import { Alert, Spinner } from "../../components/ui";
import { downloadFile, getBoxes, type Boxes, type PoseResult, type Track, type VideoDetail } from "./api";
import { ReliabilityStrip, unreliableAt } from "./ReliabilityStrip";

const WINDOW_S = 20;

export function VideoPlayer({ orgId, video, tracks, pose }: { orgId: string; video: VideoDetail; tracks: Track[]; pose?: PoseResult | null }) {
  const [source, setSource] = useState<"annotated" | "original">(video.annotated_file_id ? "annotated" : "original");
  const [show, setShow] = useState({ boxes: false, labels: false, ball: false, pose: true });
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState(video.duration_s ?? 0);
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const videoEl = useRef<HTMLVideoElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const chunk = useRef<{ t0: number; data: Boxes } | null>(null);
  const fileId = source === "annotated" ? video.annotated_file_id : video.source_file_id;

  useEffect(() => {
    let made: string | null = null;
    setUrl(null);
    if (!fileId) return;
    // The content route needs the bearer token, so the file comes as a blob (fine for clips).
    downloadFile(orgId, fileId).then((blob) => setUrl((made = URL.createObjectURL(blob)))).catch((err) => setError(errorMessage(err)));
    return () => {
      if (made) URL.revokeObjectURL(made);
    };
  }, [orgId, fileId]);

  useEffect(() => {
    let frame = 0;
    const names = new Map(tracks.map((t) => [t.track_id, t]));
    const draw = () => {
      frame = requestAnimationFrame(draw);
      const v = videoEl.current;
      const c = canvas.current;
      if (!v || !c || !video.width || !video.height) return;
      const ctx = c.getContext("2d");
      if (!ctx) return;
      c.width = video.width;
      c.height = video.height;
      ctx.clearRect(0, 0, c.width, c.height);
      const t = v.currentTime;
      if (pose && show.pose && pose.rows.length) {
        // The pose row nearest the current time (within one frame), skeleton in video pixels.
        let best = pose.rows[0];
        for (const row of pose.rows) if (Math.abs(row[0] - t) < Math.abs(best[0] - t)) best = row;
        const points = Math.abs(best[0] - t) <= 1 / (video.fps || 25) ? best[3] : null;
        if (points) {
          ctx.strokeStyle = ctx.fillStyle = "#00e5ff";
          ctx.lineWidth = Math.max(1.5, video.height / 400);
          for (const [a, b] of pose.skeleton) {
            const p = points[a];
            const q = points[b];
            if (!p || !q || p[2] < 0.3 || q[2] < 0.3) continue;
            ctx.beginPath();
            ctx.moveTo(p[0], p[1]);
            ctx.lineTo(q[0], q[1]);
            ctx.stroke();
          }
          for (const p of points) if (p && p[2] >= 0.3) ctx.fillRect(p[0] - 1.5, p[1] - 1.5, 3, 3);
        }
      }
      if (!show.boxes && !show.labels && !show.ball) return;
      const have = chunk.current;
      if (!have || t < have.t0 || t >= have.t0 + WINDOW_S) {
        const t0 = Math.floor(t / WINDOW_S) * WINDOW_S;
        chunk.current = { t0, data: { boxes: [], ball: [] } };
        getBoxes(orgId, video.id, t0, t0 + WINDOW_S).then((data) => (chunk.current = { t0, data })).catch(() => undefined);
        return;
      }
      const dt = 0.5 / (video.fps || 25);
      for (const [bt, , id, x0, y0, x1, y1] of have.data.boxes) {
        if (Math.abs(bt - t) > dt) continue;
        const track = names.get(id);
        const root = track?.merged_into ?? id;
        const colour = video.teams[(names.get(root)?.team ?? "other") as "home" | "away"]?.colour ?? "#ccc";
        ctx.strokeStyle = ctx.fillStyle = colour;
        ctx.lineWidth = 2;
        if (show.boxes) ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
        if (show.labels) {
          ctx.font = "14px sans-serif";
          ctx.fillText(names.get(root)?.name ?? `#${root}`, x0, y0 - 4);
        }
      }
      if (show.ball) {
        for (const [bt, x, y] of have.data.ball) {
          if (Math.abs(bt - t) > dt) continue;
          ctx.strokeStyle = "#ffdc00";
          ctx.beginPath();
          ctx.arc(x, y, 8, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
    };
    frame = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frame);
  }, [orgId, video, tracks, show, pose]);

  const unreliable = unreliableAt(video.calibration, time, video.fps ?? 25);

  return (
    <div className="card" data-testid="video-player">
      <div className="row">
        <label>
          <input type="radio" checked={source === "annotated"} disabled={!video.annotated_file_id} onChange={() => setSource("annotated")} /> Annotated
        </label>
        <label>
          <input type="radio" checked={source === "original"} onChange={() => setSource("original")} /> Original
        </label>
        {(["boxes", "labels", "ball", ...(pose ? (["pose"] as const) : [])] as const).map((k) => (
          <label key={k}>
            <input type="checkbox" checked={show[k]} onChange={(e) => setShow((s) => ({ ...s, [k]: e.target.checked }))} data-testid={`overlay-${k}`} /> {k}
          </label>
        ))}
      </div>
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      {!fileId ? (
        <p className="muted">The annotated video is not rendered yet.</p>
      ) : !url ? (
        <Spinner label="Loading the video…" />
      ) : (
        <div style={{ position: "relative", maxWidth: "100%" }}>
          <video ref={videoEl} src={url} controls style={{ width: "100%", display: "block" }} data-testid="video-element"
            onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)}
            onLoadedMetadata={(e) => Number.isFinite(e.currentTarget.duration) && setDuration(e.currentTarget.duration)}
            onError={() => source === "original" && setError("This browser cannot play the original file; use the annotated video.")} />
          <canvas ref={canvas} style={{ position: "absolute", inset: 0, width: "100%", height: "100%", pointerEvents: "none" }} data-testid="video-overlay" />
          {unreliable && (
            <span className="badge" data-testid="calibration-unreliable-now" style={{ position: "absolute", top: 8, left: 8, background: "rgba(192,57,43,0.9)", color: "#fff", padding: "2px 6px", borderRadius: 3 }}>
              Calibration unreliable here: {unreliable}
            </span>
          )}
        </div>
      )}
      <ReliabilityStrip calibration={video.calibration} duration={duration || video.duration_s || 0} fps={video.fps ?? 25} time={time}
        onSeek={(t) => {
          if (videoEl.current) videoEl.current.currentTime = t;
          setTime(t);
        }} />
    </div>
  );
}
