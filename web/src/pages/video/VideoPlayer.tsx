// The video with a live overlay: the annotated MP4 (boxes burnt in) or the original upload, and
// on top a canvas drawing the tracked boxes, labels and ball for the current time (toggles).
import { useEffect, useRef, useState } from "react";
import { errorMessage } from "../../api/client";
import { Alert, Spinner } from "../../components/ui";
import { downloadFile, getBoxes, type Boxes, type Track, type VideoDetail } from "./api";

const WINDOW_S = 20;

export function VideoPlayer({ orgId, video, tracks }: { orgId: string; video: VideoDetail; tracks: Track[] }) {
  const [source, setSource] = useState<"annotated" | "original">(video.annotated_file_id ? "annotated" : "original");
  const [show, setShow] = useState({ boxes: false, labels: false, ball: false });
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
      if (!show.boxes && !show.labels && !show.ball) return;
      const t = v.currentTime;
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
  }, [orgId, video, tracks, show]);

  return (
    <div className="card" data-testid="video-player">
      <div className="row">
        <label>
          <input type="radio" checked={source === "annotated"} disabled={!video.annotated_file_id} onChange={() => setSource("annotated")} /> Annotated
        </label>
        <label>
          <input type="radio" checked={source === "original"} onChange={() => setSource("original")} /> Original
        </label>
        {(["boxes", "labels", "ball"] as const).map((k) => (
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
            onError={() => source === "original" && setError("This browser cannot play the original file; use the annotated video.")} />
          <canvas ref={canvas} style={{ position: "absolute", inset: 0, width: "100%", height: "100%", pointerEvents: "none" }} />
        </div>
      )}
    </div>
  );
}
