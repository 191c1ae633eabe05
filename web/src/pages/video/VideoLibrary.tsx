// The organisation's videos and the upload panel: upload (resumable chunks), start the analysis,
// follow its job live.
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { Alert, Badge, PageHeader, Pager, Spinner } from "../../components/ui";
import { useOrg } from "../../components/Shell";
import { formatRelative } from "../../lib/format";
import { usePagedList } from "../../lib/usePagedList";
import { UploadProgressList, useUploadThenJob } from "../../state/uploadJob";
import { JobProgress } from "../football/common";
import { createVideo, listDetectors, listVideos, type CameraMode, type DetectorOption, type VideoStatus } from "./api";

const PAGE_SIZE = 25;
// Shown until the server's list arrives (or if it cannot be fetched).
const FALLBACK_DETECTORS: DetectorOption[] = [
  { value: "centernet", label: "CenterNet (fixed or wide camera)", available: true, note: null },
  { value: "centernet_tiled", label: "CenterNet tiled (far, small players and the ball; slow)", available: true, note: null },
  { value: "nanodet", label: "NanoDet (fast, close players)", available: true, note: null },
];
const POLL_MS = 5000;
const TONES: Record<VideoStatus, string> = { queued: "info", running: "info", ready: "success", failed: "danger", needs_calibration: "info" };

export function VideoStatusBadge({ status }: { status: VideoStatus }) {
  return (
    <Badge tone={TONES[status] ?? "neutral"} testId="video-status">
      {status === "needs_calibration" ? "needs calibration" : status}
    </Badge>
  );
}

function UploadPanel({ orgId, onStarted }: { orgId: string; onStarted: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [detector, setDetector] = useState("centernet");
  const [camera, setCamera] = useState<CameraMode>("auto");
  const [detectors, setDetectors] = useState<DetectorOption[] | null>(null);
  useEffect(() => {
    listDetectors(orgId).then(setDetectors, () => setDetectors(null));
  }, [orgId]);
  const [videoId, setVideoId] = useState<string | null>(null);
  const { uploads, busy, error, setError, job, run } = useUploadThenJob(orgId);

  async function submit() {
    if (!file) return;
    setVideoId(null);
    await run([file], async ([stored]) => {
      const video = await createVideo(orgId, { file_id: stored.id, name: name.trim() || undefined, detector, camera });
      setVideoId(video.id);
      onStarted();
      return video.job ?? null;
    });
  }

  return (
    <div className="card" data-testid="video-upload">
      <h2>Analyse a video</h2>
      <label className="field">
        <span>Video file (MP4, MOV, AVI…)</span>
        <input type="file" accept="video/*,.avi,.mkv" data-testid="video-file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      <label className="field">
        <span>Name (optional)</span>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Training 12 March, pitch 2" />
      </label>
      <label className="field">
        <span>Detector</span>
        <select value={detector} onChange={(e) => setDetector(e.target.value)} data-testid="video-detector">
          {(detectors ?? FALLBACK_DETECTORS).map((d) => (
            <option key={d.value} value={d.value} disabled={!d.available} title={d.note ?? undefined}>
              {d.label}
              {d.note ? ` (${d.note})` : ""}
            </option>
          ))}
        </select>
        <small>Your own YOLO model: export it to ONNX and upload it under Files; it appears here.</small>
      </label>
      <label className="field">
        <span>Camera</span>
        <select value={camera} onChange={(e) => setCamera(e.target.value as CameraMode)} data-testid="video-camera">
          <option value="auto">Detect from the picture</option>
          <option value="fixed">Fixed (training ground, tripod)</option>
          <option value="panning">Panning (broadcast): follow it between calibrated keyframes</option>
        </select>
      </label>
      {busy && <UploadProgressList uploads={uploads} />}
      {job && <JobProgress job={job} label="Analysis" />}
      {videoId && (
        <p>
          <Link to={`/o/${orgId}/video/${videoId}`} data-testid="video-open">Open the video</Link>
        </p>
      )}
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      <button type="button" className="button button-primary" disabled={!file || busy} onClick={() => void submit()} data-testid="video-start">
        {busy ? "Uploading…" : "Upload and analyse"}
      </button>
    </div>
  );
}

export function VideoLibraryPage() {
  const { orgId } = useOrg();
  const [uploading, setUploading] = useState(false);
  const { items, total, offset, setOffset, error, setError, reload } = usePagedList(
    (limit, offset) => listVideos(orgId, limit, offset), [orgId], { pageSize: PAGE_SIZE, clearErrorOnLoad: true },
  );
  const busy = items?.some((v) => v.status === "queued" || v.status === "running") ?? false;
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => void reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [busy, reload]);

  return (
    <section data-testid="page-video">
      <PageHeader title="Video">
        <button type="button" className="button button-primary" onClick={() => setUploading((v) => !v)} aria-expanded={uploading}>
          {uploading ? "Close" : "Upload a video"}
        </button>
      </PageHeader>
      {uploading && <UploadPanel orgId={orgId} onStarted={() => void reload()} />}
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      {items === null ? (
        error ? null : <Spinner />
      ) : items.length === 0 ? (
        <div className="card empty" data-testid="videos-empty">
          <p>No videos yet.</p>
          <p className="muted">Upload a match or training video: players are detected, tracked and split into teams; calibrate it to get pitch positions, metrics and the 2D view.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="videos-table">
            <thead>
              <tr><th>Video</th><th>Size</th><th>Length</th><th>Added</th><th>Status</th></tr>
            </thead>
            <tbody>
              {items.map((v) => (
                <tr key={v.id} data-testid="video-row" data-status={v.status}>
                  <td data-label="Video" className="break">
                    <Link to={`/o/${orgId}/video/${v.id}`}>{v.name}</Link>
                    {v.filename && v.filename !== v.name && <div className="muted small">{v.filename}</div>}
                  </td>
                  <td data-label="Size">{v.width ? `${v.width}×${v.height} · ${v.fps?.toFixed(0)} fps` : "–"}</td>
                  <td data-label="Length">{v.duration_s ? `${v.duration_s.toFixed(1)} s` : "–"}</td>
                  <td data-label="Added">{formatRelative(v.created_at)}</td>
                  <td data-label="Status"><VideoStatusBadge status={v.status} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager total={total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
    </section>
  );
}
