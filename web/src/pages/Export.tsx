import { useEffect, useRef, useState } from "react";
import { api, call, errorMessage } from "../api/client";
import type { Job } from "../api/types";
import { Alert, ProgressBar } from "../components/ui";
import { filenameFromDisposition, saveBlob } from "../lib/download";
import { formatDate, formatRelative } from "../lib/format";
import { isActive } from "../lib/jobs";
import { useLiveJob } from "../state/liveJob";
import { StateBadge } from "./Jobs";

const EXPORT_JOB = "org.export";

/** Whether the finished export's archive is gone (erased with an athlete's data, for instance). */
function deletedReason(job: Job): string | null {
  const result = (job.result ?? {}) as { deleted?: unknown; deleted_reason?: unknown };
  if (!result.deleted) return null;
  return typeof result.deleted_reason === "string" ? result.deleted_reason : "data was erased";
}

/** Owners: export every row and file of the organisation as a zip, following the job live. */
export function ExportSection({ orgId }: { orgId: string }) {
  const [job, setJob] = useLiveJob(orgId);
  const [starting, setStarting] = useState(false);
  const [downloading, setDownloading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const startedHere = useRef(false);

  // The latest export, so a finished one can still be downloaded after leaving the page.
  useEffect(() => {
    let cancelled = false;
    call(api.GET("/api/v1/orgs/{org_id}/jobs", { params: { path: { org_id: orgId }, query: { type: EXPORT_JOB, limit: 1 } } })).then(
      (page) => {
        if (!cancelled && !startedHere.current && page.items[0]) setJob(page.items[0]);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [orgId, setJob]);

  async function start() {
    setStarting(true);
    setError(null);
    startedHere.current = true;
    try {
      setJob(await call(api.POST("/api/v1/orgs/{org_id}/export", { params: { path: { org_id: orgId } } })));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setStarting(false);
    }
  }

  async function download(current: Job) {
    setDownloading(true);
    setError(null);
    try {
      const result = await api.GET("/api/v1/orgs/{org_id}/exports/{job_id}/download", {
        params: { path: { org_id: orgId, job_id: current.id } },
        parseAs: "blob",
      });
      const blob = await call(Promise.resolve(result));
      const name = filenameFromDisposition(result.response.headers.get("Content-Disposition")) ?? `sideline-export-${current.id.slice(0, 8)}.zip`;
      saveBlob(blob as Blob, name);
    } catch (err) {
      setError(errorMessage(err)); // e.g. 410: the archive was deleted
    } finally {
      setDownloading(false);
    }
  }

  const active = job ? isActive(job) : false;
  const gone = job ? deletedReason(job) : null;
  const tone = !job ? undefined : job.state === "failed" ? "error" : job.state === "cancelled" ? "muted" : job.state === "succeeded" ? "ok" : undefined;

  return (
    <div className="card" data-testid="export-section">
      <h2>Data export</h2>
      <p className="muted">
        A zip of every record and file of this organisation (without passwords or keys), for backups or moving to another
        server. Large organisations take a while; you can leave this page meanwhile.
      </p>
      {error && (
        <Alert onDismiss={() => setError(null)} testId="export-error">
          {error}
        </Alert>
      )}
      {job && (
        <div className="export-status" data-testid="export-job" data-job-id={job.id} data-state={job.state}>
          <div className="row">
            <StateBadge state={job.state} />
            <span className="muted small" title={formatDate(job.created_at)}>
              started {formatRelative(job.created_at)}
            </span>
          </div>
          <ProgressBar value={job.state === "succeeded" ? 100 : (job.progress ?? 0)} label="Export progress" testId="export-progress" tone={tone} />
          <div className="small">
            <span data-testid="export-percent">{Math.round(job.state === "succeeded" ? 100 : (job.progress ?? 0))}%</span>
            {job.message && active && <span className="muted"> · {job.message}</span>}
          </div>
          {job.state === "failed" && job.error && <div className="error-text small">{job.error}</div>}
          {job.state === "succeeded" &&
            (gone ? (
              <p className="muted small" data-testid="export-gone">
                This archive was deleted ({gone}). Start a new export.
              </p>
            ) : (
              <button type="button" className="button" disabled={downloading} onClick={() => void download(job)} data-testid="export-download">
                {downloading ? "Downloading…" : "Download export"}
              </button>
            ))}
        </div>
      )}
      <button type="button" className="button button-primary" disabled={starting || active} onClick={() => void start()} data-testid="export-start">
        {starting ? "Starting…" : active ? "Export running…" : job ? "Start a new export" : "Export organisation data"}
      </button>
    </div>
  );
}
