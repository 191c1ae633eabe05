import { useCallback, useEffect, useRef, useState } from "react";
import { api, call, errorMessage } from "../api/client";
import type { Job, JobState } from "../api/types";
import { Alert, Badge, PageHeader, Pager, ProgressBar, Spinner } from "../components/ui";
import { useOrg } from "../components/Shell";
import { formatDate, formatRelative } from "../lib/format";
import { isActive, mergeSnapshot, upsertJob, type UpsertOptions } from "../lib/jobs";
import { usePagedList } from "../lib/usePagedList";
import { useLiveStatus, useSession } from "../state/session";

const STATES: JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];
const TONES: Record<JobState, string> = {
  queued: "neutral",
  running: "info",
  succeeded: "success",
  failed: "danger",
  cancelled: "muted",
};
const PAGE_SIZE = 25;
const DEMO_JOB = { type: "demo.count", params: { steps: 20, delay: 0.2 } };

export function StateBadge({ state }: { state: JobState }) {
  return (
    <Badge tone={TONES[state] ?? "neutral"} testId="job-state">
      {state}
    </Badge>
  );
}

function JobRow({ job, onCancel, cancelling }: { job: Job; onCancel: (job: Job) => void; cancelling: boolean }) {
  const pct = Math.round(job.progress ?? 0);
  const tone = job.state === "failed" ? "error" : job.state === "cancelled" ? "muted" : job.state === "succeeded" ? "ok" : undefined;
  return (
    <tr data-testid="job-row" data-job-id={job.id} data-state={job.state}>
      <td data-label="Type">
        <code>{job.type}</code>
        <div className="muted small" title={job.id}>
          {job.id.slice(0, 8)} · {job.queue}
        </div>
      </td>
      <td data-label="State">
        <StateBadge state={job.state} />
        {job.cancel_requested && isActive(job) && <div className="muted small">cancelling…</div>}
      </td>
      <td data-label="Progress" className="progress-cell">
        <ProgressBar value={job.progress ?? 0} label={`Progress of ${job.type}`} testId="job-progress" tone={tone} />
        <div className="small">
          <span data-testid="job-percent">{pct}%</span>
          {job.message && <span className="muted"> · {job.message}</span>}
        </div>
        {job.state === "failed" && job.error && (
          <div className="error-text small" data-testid="job-error">
            {job.error}
          </div>
        )}
      </td>
      <td data-label="Created" title={formatDate(job.created_at)}>
        {formatRelative(job.created_at)}
      </td>
      <td data-label="Attempts">
        {job.attempts}/{job.max_attempts}
      </td>
      <td data-label="" className="actions">
        {isActive(job) && !job.cancel_requested && (
          <button type="button" className="button button-small" disabled={cancelling} onClick={() => onCancel(job)} data-testid="job-cancel">
            {cancelling ? "Cancelling…" : "Cancel"}
          </button>
        )}
      </td>
    </tr>
  );
}

export function JobsPage() {
  const { orgId } = useOrg();
  const { live } = useSession();
  const liveStatus = useLiveStatus();
  const [stateFilter, setStateFilter] = useState<JobState | "">("");
  const [starting, setStarting] = useState(false);
  const [cancelling, setCancelling] = useState<Set<string>>(new Set());
  const [liveError, setLiveError] = useState<string | null>(null);

  const {
    items: jobs,
    setItems: setJobs,
    total,
    setTotal,
    offset,
    setOffset,
    error,
    setError,
    reload: load,
  } = usePagedList<Job>(
    (limit, offset) =>
      call(
        api.GET("/api/v1/orgs/{org_id}/jobs", {
          params: { path: { org_id: orgId }, query: { limit, offset, state: stateFilter || undefined } },
        }),
      ),
    [orgId, stateFilter],
    {
      pageSize: PAGE_SIZE,
      clearErrorOnLoad: true,
      clearItemsOnChange: true,
      merge: (current: Job[] | null, fetched: Job[]): Job[] => mergeSnapshot(current ?? [], fetched, optionsRef.current()),
    },
  );

  const upsertOptions = useCallback(
    (): UpsertOptions => ({ insertNew: offset === 0, matches: stateFilter ? (j: Job) => j.state === stateFilter : undefined }),
    [offset, stateFilter],
  );

  // Handlers of the live subscription read the latest load/options through refs.
  const loadRef = useRef(load);
  const optionsRef = useRef(upsertOptions);
  loadRef.current = load;
  optionsRef.current = upsertOptions;

  useEffect(() => {
    if (!live) return;
    return live.subscribe<Job>(`org:${orgId}:jobs`, {
      onEvent(event) {
        if (!event.event.startsWith("job.") || !event.data || typeof event.data !== "object") return;
        const job = event.data;
        setJobs((current) => (current ? upsertJob(current, job, optionsRef.current()) : current));
      },
      onSubscribed() {
        setLiveError(null);
        void loadRef.current(); // catch up with anything that happened while not subscribed
      },
      onGap() {
        void loadRef.current(); // events were missed: take a fresh snapshot
      },
      onError({ message }) {
        setLiveError(message || "Live updates are not available for this organisation.");
      },
    });
  }, [live, orgId]);

  // Without the live connection, poll while something is still moving.
  const anyActive = jobs?.some(isActive) ?? false;
  useEffect(() => {
    if ((liveStatus === "live" && !liveError) || !anyActive) return;
    const timer = setInterval(() => void loadRef.current(), 5000);
    return () => clearInterval(timer);
  }, [liveStatus, liveError, anyActive]);

  async function startDemo() {
    setStarting(true);
    setError(null);
    try {
      const job = await call(api.POST("/api/v1/orgs/{org_id}/jobs", { params: { path: { org_id: orgId } }, body: DEMO_JOB }));
      setJobs((current) => upsertJob(current ?? [], job, optionsRef.current()));
      setTotal((t) => t + 1);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setStarting(false);
    }
  }

  async function cancel(job: Job) {
    setCancelling((s) => new Set(s).add(job.id));
    setError(null);
    try {
      const updated = await call(
        api.POST("/api/v1/orgs/{org_id}/jobs/{job_id}/cancel", { params: { path: { org_id: orgId, job_id: job.id } } }),
      );
      setJobs((current) => (current ? upsertJob(current, updated, optionsRef.current()) : current));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setCancelling((s) => {
        const next = new Set(s);
        next.delete(job.id);
        return next;
      });
    }
  }

  return (
    <section data-testid="page-jobs">
      <PageHeader title="Jobs">
        <label className="inline-field">
          <span>State</span>
          <select
            value={stateFilter}
            data-testid="job-state-filter"
            onChange={(e) => {
              setStateFilter(e.target.value as JobState | "");
              setOffset(0);
            }}
          >
            <option value="">All</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button button-primary" onClick={startDemo} disabled={starting} data-testid="start-demo-job">
          {starting ? "Starting…" : "Start demo job"}
        </button>
      </PageHeader>
      <p className="muted small">
        Background work such as video processing runs as jobs. Progress updates live
        {liveStatus === "live" ? "." : liveStatus === "reconnecting" ? " (reconnecting…)." : " (connecting…)."}
      </p>
      {liveError && <Alert kind="warning">Live updates: {liveError}</Alert>}
      {error && (
        <Alert onDismiss={() => setError(null)} testId="jobs-error">
          {error}
        </Alert>
      )}
      {jobs === null ? (
        error ? null : <Spinner />
      ) : jobs.length === 0 ? (
        <div className="card empty" data-testid="jobs-empty">
          <p>No jobs {stateFilter ? `in state “${stateFilter}”` : "yet"}.</p>
          <p className="muted">Start a demo job to watch its progress update live.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="jobs-table">
            <thead>
              <tr>
                <th>Type</th>
                <th>State</th>
                <th className="progress-cell">Progress</th>
                <th>Created</th>
                <th>Attempts</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <JobRow key={job.id} job={job} onCancel={cancel} cancelling={cancelling.has(job.id)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager total={total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
    </section>
  );
}
