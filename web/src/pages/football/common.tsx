// Small pieces shared by the football pages.
import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";
import { errorMessage } from "../../api/client";
import type { Job } from "../../api/types";
import { Badge, ProgressBar } from "../../components/ui";
import type { MatchStatus, MatchSummary } from "../../lib/football/types";

const STATUS_TONES: Record<MatchStatus, string> = { importing: "info", ready: "success", failed: "danger" };

export function MatchStatusBadge({ status }: { status: MatchStatus }) {
  return (
    <Badge tone={STATUS_TONES[status] ?? "neutral"} testId="match-status">
      {status}
    </Badge>
  );
}

/** "FC Bayern 4 – 0 Borussia Dortmund" (without the score when it is unknown). */
export function scoreLine(match: Pick<MatchSummary, "home" | "away">): string {
  const { home, away } = match;
  if (home.score === null || away.score === null) return `${home.name} v ${away.name}`;
  return `${home.name} ${home.score} – ${away.score} ${away.name}`;
}

export const percent = (share: number | null | undefined) =>
  share === null || share === undefined || !Number.isFinite(share) ? "–" : `${Math.round(share * 100)}%`;

/** A job's progress bar with its message and error, as on the jobs page. */
export function JobProgress({ job, label }: { job: Job; label: string }) {
  const tone = job.state === "failed" ? "error" : job.state === "cancelled" ? "muted" : job.state === "succeeded" ? "ok" : undefined;
  return (
    <div className="fb-job" data-testid="job-progress-block" data-state={job.state}>
      <div className="small muted">{label}</div>
      <ProgressBar value={job.progress ?? 0} label={label} tone={tone} testId="job-progress" />
      <div className="small">
        <span data-testid="job-percent">{Math.round(job.progress ?? 0)}%</span> · {job.state}
        {job.message && <span className="muted"> · {job.message}</span>}
      </div>
      {job.error && <div className="error-text small">{job.error}</div>}
    </div>
  );
}

/** Load something when `deps` change; stale answers (deps changed meanwhile) are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(async () => {
    const mine = ++seq.current;
    setLoading(true);
    try {
      const value = await loadRef.current();
      if (mine !== seq.current) return;
      setData(value);
      setError(null);
    } catch (err) {
      if (mine === seq.current) setError(errorMessage(err));
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, setData, error, setError, loading, reload };
}
