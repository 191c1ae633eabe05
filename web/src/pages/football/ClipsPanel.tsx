// Saved clips of a match: create one from the player's current position or a moment, render it
// to MP4 (a job, followed live), download it, delete it.
import { useEffect, useState } from "react";
import { api, call, errorMessage } from "../../api/client";
import { Alert, Badge, InlineConfirm, Spinner } from "../../components/ui";
import { createClip, deleteClip, downloadFile, listClips, renderClip } from "../../lib/football/api";
import { formatSeconds } from "../../lib/football/labels";
import type { Clip, ClipInput, ClipVideoStatus } from "../../lib/football/types";
import { saveBlob } from "../../lib/download";
import { isActive } from "../../lib/jobs";
import { useLiveJob } from "../../state/liveJob";
import { JobProgress, useLoad } from "./common";

const VIDEO_TONES: Record<ClipVideoStatus, string> = { none: "neutral", rendering: "info", ready: "success", failed: "danger" };

function ClipRow({ orgId, matchId, clip, onJump, onChanged, onDeleted }: {
  orgId: string;
  matchId: string;
  clip: Clip;
  onJump: (t: number) => void;
  onChanged: () => void;
  onDeleted: (id: string) => void;
}) {
  const [job, follow] = useLiveJob(orgId);
  const [busy, setBusy] = useState<"render" | "download" | "delete" | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // A render started earlier (or elsewhere) is followed too.
  const jobId = clip.video.job_id;
  const followingId = job?.id ?? null;
  useEffect(() => {
    if (clip.video.status !== "rendering" || !jobId || followingId === jobId) return;
    let cancelled = false;
    call(api.GET("/api/v1/orgs/{org_id}/jobs/{job_id}", { params: { path: { org_id: orgId, job_id: jobId } } }))
      .then((found) => !cancelled && follow(found))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [clip.video.status, jobId, followingId, orgId, follow]);
  const finished = job !== null && !isActive(job);
  useEffect(() => {
    if (finished) onChanged();
  }, [finished]); // eslint-disable-line react-hooks/exhaustive-deps

  async function run(kind: "render" | "download" | "delete", action: () => Promise<void>) {
    setBusy(kind);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  const render = () => run("render", async () => follow(await renderClip(orgId, matchId, clip.id)));
  const download = () =>
    run("download", async () => saveBlob(await downloadFile(orgId, clip.video.file_id!), `${clip.name.replace(/[^\w.-]+/g, "_") || "clip"}.mp4`));
  const remove = () => run("delete", async () => {
    await deleteClip(orgId, matchId, clip.id);
    onDeleted(clip.id);
  });
  const rendering = (job && isActive(job)) || clip.video.status === "rendering";

  return (
    <li className="fb-clip" data-testid="clip-row" data-clip-id={clip.id}>
      <div className="fb-clip-head">
        <button type="button" className="link-button" onClick={() => onJump(clip.start_s)} data-testid="clip-jump">
          {clip.name}
        </button>
        <span className="muted small">
          {formatSeconds(clip.start_s)}–{formatSeconds(clip.end_s)} ({Math.round(clip.end_s - clip.start_s)} s)
        </span>
        <Badge tone={VIDEO_TONES[clip.video.status] ?? "neutral"} testId="clip-video-status">
          {clip.video.status === "none" ? "not rendered" : clip.video.status}
        </Badge>
        <span className="fb-spacer" />
        {confirming ? (
          <InlineConfirm
            question="Delete this clip?"
            confirmLabel="Delete"
            busyLabel="Deleting…"
            busy={busy === "delete"}
            onConfirm={() => void remove()}
            onCancel={() => setConfirming(false)}
          />
        ) : (
          <span className="row">
            {clip.video.status === "ready" && clip.video.file_id && (
              <button type="button" className="button button-small" disabled={busy !== null} onClick={() => void download()} data-testid="clip-download">
                {busy === "download" ? "Downloading…" : "Download MP4"}
              </button>
            )}
            <button type="button" className="button button-small" disabled={busy !== null || rendering} onClick={() => void render()} data-testid="clip-render">
              {rendering ? "Rendering…" : clip.video.status === "ready" ? "Render again" : "Render MP4"}
            </button>
            <button type="button" className="button button-small button-danger-outline" onClick={() => setConfirming(true)}>
              Delete
            </button>
          </span>
        )}
      </div>
      {job && <JobProgress job={job} label={`Rendering ${clip.name}`} />}
      {error && <div className="error-text small" role="alert">{error}</div>}
    </li>
  );
}

export function ClipsPanel({ orgId, matchId, draft, onDraft, currentTime, onJump }: {
  orgId: string;
  matchId: string;
  draft: ClipInput;
  onDraft: (draft: ClipInput) => void;
  currentTime: () => number;
  onJump: (t: number) => void;
}) {
  const clips = useLoad(() => listClips(orgId, matchId), [orgId, matchId]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const valid = draft.name.trim() !== "" && draft.end_s > draft.start_s;

  async function save() {
    setSaving(true);
    setError(null);
    try {
      const clip = await createClip(orgId, matchId, { ...draft, name: draft.name.trim() });
      clips.setData((list) => [clip, ...(list ?? [])]);
      onDraft({ name: "", start_s: draft.end_s, end_s: draft.end_s + 10 });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  const timeField = (label: string, key: "start_s" | "end_s") => (
    <label className="field fb-time-field">
      <span>{label} (s)</span>
      <span className="row">
        <input type="number" step={0.1} min={0} value={Number(draft[key].toFixed(1))} onChange={(e) => onDraft({ ...draft, [key]: Number(e.target.value) })} data-testid={`clip-${key}`} />
        <button type="button" className="button button-small" onClick={() => onDraft({ ...draft, [key]: Number(currentTime().toFixed(1)) })}>
          Now
        </button>
      </span>
    </label>
  );

  return (
    <div className="fb-clips">
      <h3>Clips</h3>
      <div className="fb-clip-form">
        <label className="field">
          <span>Name</span>
          <input value={draft.name} onChange={(e) => onDraft({ ...draft, name: e.target.value })} placeholder="e.g. Counter-attack 2H" data-testid="clip-name" />
        </label>
        {timeField("Start", "start_s")}
        {timeField("End", "end_s")}
        <button type="button" className="button button-primary" disabled={!valid || saving} onClick={() => void save()} data-testid="clip-save">
          {saving ? "Saving…" : "Save clip"}
        </button>
      </div>
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      {clips.error && <Alert>{clips.error}</Alert>}
      {!clips.data && !clips.error ? (
        <Spinner />
      ) : clips.data && clips.data.length === 0 ? (
        <p className="muted small">No clips yet.</p>
      ) : (
        <ul className="plain-list">
          {clips.data?.map((clip) => (
            <ClipRow
              key={clip.id}
              orgId={orgId}
              matchId={matchId}
              clip={clip}
              onJump={onJump}
              onChanged={() => void clips.reload()}
              onDeleted={(id) => clips.setData((list) => list?.filter((c) => c.id !== id) ?? null)}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
