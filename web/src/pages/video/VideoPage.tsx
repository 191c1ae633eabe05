// One video: its analysis stages (live), the player with overlays, the track list, the
// calibration tool, the football match made from it, and downloads.
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, call, errorMessage } from "../../api/client";
import type { Job } from "../../api/types";
import { Alert, Badge, PageHeader, Spinner } from "../../components/ui";
import { useOrg } from "../../components/Shell";
import { saveBlob } from "../../lib/download";
import { isActive } from "../../lib/jobs";
import { useLiveJob } from "../../state/liveJob";
import { JobProgress, useLoad } from "../football/common";
import { deleteVideo, downloadFile, downloadTracking, getPose, getVideo, listTracks, makeMatch, renderVideo, requestPose, retryVideo, type PoseResult, type Stage, type Track } from "./api";
import { CalibrationTool } from "./CalibrationTool";
import { TrackList } from "./TrackList";
import { VideoStatusBadge } from "./VideoLibrary";
import { VideoPlayer } from "./VideoPlayer";

const STAGE_TONES: Record<Stage["status"], string> = { pending: "neutral", running: "info", done: "success", failed: "danger", skipped: "muted" };

export function VideoPage() {
  const { orgId } = useOrg();
  const { videoId = "" } = useParams();
  const navigate = useNavigate();
  const video = useLoad(() => getVideo(orgId, videoId), [orgId, videoId]);
  const tracks = useLoad(() => listTracks(orgId, videoId), [orgId, videoId]);
  const [job, follow] = useLiveJob(orgId);
  const [error, setError] = useState<string | null>(null);
  const [calibrating, setCalibrating] = useState(false);
  // Pose on demand: the request's job is followed live; its keypoints are drawn over the video.
  const [poseJob, followPose] = useLiveJob(orgId);
  const [pose, setPose] = useState<PoseResult | null>(null);
  const [poseTrack, setPoseTrack] = useState<number | null>(null);
  useEffect(() => {
    if (!poseJob || poseJob.state !== "succeeded") return;
    getPose(orgId, videoId, poseJob.id).then(setPose).catch((err) => setError(errorMessage(err)));
  }, [orgId, videoId, poseJob?.id, poseJob?.state]); // eslint-disable-line react-hooks/exhaustive-deps

  async function askPose(track: Track) {
    setError(null);
    setPose(null);
    setPoseTrack(track.track_id);
    try {
      const request = await requestPose(orgId, videoId, { track_id: track.track_id, t0: track.first_t, t1: Math.min(track.last_t + 0.01, track.first_t + 10) });
      const response = await fetchJob(request.id);
      followPose(response);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function fetchJob(jobId: string): Promise<Job> {
    return (await call(api.GET("/api/v1/orgs/{org_id}/jobs/{job_id}", { params: { path: { org_id: orgId, job_id: jobId } } }))) as Job;
  }

  // Follow the video's own job; reload the video whenever that job changes state.
  const current = video.data?.job ?? null;
  useEffect(() => {
    if (current && (!job || job.id !== current.id)) follow(current);
  }, [current, job, follow]);
  const state = job?.state;
  useEffect(() => {
    if (state && state !== "queued") {
      void video.reload();
      void tracks.reload();
    }
  }, [state]); // eslint-disable-line react-hooks/exhaustive-deps

  async function run(action: () => Promise<Job>) {
    setError(null);
    try {
      follow(await action());
      void video.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function save(what: Promise<Blob>, filename: string) {
    try {
      saveBlob(await what, filename);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  if (video.error) return <Alert>{video.error}</Alert>;
  const v = video.data;
  if (!v) return <Spinner />;
  const busy = job ? isActive(job) : false;
  const stem = (v.filename ?? "video").replace(/\.[^.]+$/, "");
  const projected = v.stages.find((s) => s.name === "project")?.status === "done";

  return (
    <section data-testid="page-video-detail">
      <PageHeader title={v.name}>
        <VideoStatusBadge status={v.status} />
      </PageHeader>
      <p className="muted small">
        <Link to={`/o/${orgId}/video`}>All videos</Link>
        {v.width && ` · ${v.width}×${v.height} · ${v.fps?.toFixed(1)} fps`}
        {v.duration_s && ` · ${v.duration_s.toFixed(1)} s`}
      </p>
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      {v.warnings.map((w) => <Alert key={w} kind="info">{w}</Alert>)}

      <div className="card" data-testid="video-stages">
        <h2>Analysis</h2>
        <ol className="plain-list">
          {v.stages.map((s) => (
            <li key={s.name} data-testid="video-stage" data-stage={s.name} data-status={s.status}>
              <Badge tone={STAGE_TONES[s.status]}>{s.status}</Badge> <strong>{s.name}</strong>
              {s.message && <span className="muted small"> · {s.message}</span>}
              {s.error && <div className="error-text small">{s.error}</div>}
            </li>
          ))}
        </ol>
        {job && <JobProgress job={job} label="Video job" />}
        <div className="row">
          {v.status === "failed" && (
            <button type="button" className="button button-primary" disabled={busy} onClick={() => void run(() => retryVideo(orgId, videoId))} data-testid="video-retry">
              Retry from the failed stage
            </button>
          )}
          <button type="button" className="button" disabled={busy || !v.annotated_file_id} onClick={() => void run(() => renderVideo(orgId, videoId))}>
            Render again (names, teams)
          </button>
          <button type="button" className="button" onClick={() => setCalibrating((c) => !c)} data-testid="video-calibrate" aria-expanded={calibrating}>
            {v.calibration ? "Change calibration" : "Calibrate"}
          </button>
          <button type="button" className="button" disabled={busy || !projected} onClick={() => void run(() => makeMatch(orgId, videoId))} data-testid="video-make-match">
            Make it a football match
          </button>
          {v.match_id && <Link to={`/o/${orgId}/football/matches/${v.match_id}`} data-testid="video-match-link">Open the match</Link>}
        </div>
      </div>

      {calibrating && <CalibrationTool orgId={orgId} videoId={videoId} existing={v.calibration} frameCount={v.frames_analysed}
        onSaved={(j) => { follow(j); void video.reload(); }} />}
      {poseJob && poseTrack !== null && (
        <div className="card" data-testid="pose-status">
          {poseJob.state === "succeeded" ? (
            <span>Pose of track #{poseTrack}: {pose ? `${pose.frames ?? 0} frames with a skeleton, drawn over the video` : "loading…"}</span>
          ) : poseJob.state === "failed" ? (
            <Alert>{poseJob.error ?? "The pose estimation failed"}</Alert>
          ) : (
            <JobProgress job={poseJob} label={`Pose of track #${poseTrack}`} />
          )}
        </div>
      )}
      <VideoPlayer orgId={orgId} video={v} tracks={tracks.data ?? []} pose={pose} />
      {tracks.data && tracks.data.length > 0 && (
        <TrackList orgId={orgId} videoId={videoId} tracks={tracks.data} onPose={(t) => void askPose(t)}
          poseBusy={poseJob ? isActive(poseJob) : false}
          onChange={(t) => tracks.setData((list) => (list ?? []).map((x) => (x.track_id === t.track_id ? t : x)))} />
      )}

      <div className="card" data-testid="video-downloads">
        <h2>Downloads</h2>
        <div className="row">
          {v.annotated_file_id && (
            <button type="button" className="button" onClick={() => void save(downloadFile(orgId, v.annotated_file_id!), `${stem}-annotated.mp4`)}>Annotated video (MP4)</button>
          )}
          {(["csv", "parquet"] as const).map((f) => (
            <button key={`b${f}`} type="button" className="button" disabled={!tracks.data?.length} onClick={() => void save(downloadTracking(orgId, videoId, "boxes", f), `${stem}-boxes.${f}`)}>
              Boxes ({f.toUpperCase()})
            </button>
          ))}
          {(["csv", "parquet"] as const).map((f) => (
            <button key={`p${f}`} type="button" className="button" disabled={!projected} onClick={() => void save(downloadTracking(orgId, videoId, "positions", f), `${stem}-positions.${f}`)}>
              Pitch positions ({f.toUpperCase()})
            </button>
          ))}
          <button type="button" className="button button-danger" onClick={() => void deleteVideo(orgId, videoId).then(() => navigate(`/o/${orgId}/video`)).catch((e) => setError(errorMessage(e)))}>
            Delete video
          </button>
        </div>
      </div>
    </section>
  );
}
