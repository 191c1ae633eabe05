import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { api, call } from "../api/client";
import type { Job } from "../api/types";
import { PageHeader } from "../components/ui";
import { useOrg } from "../components/Shell";
import { formatRelative } from "../lib/format";
import { useSession } from "../state/session";
import { StateBadge } from "./Jobs";

interface Stats {
  running: number | null;
  queued: number | null;
  files: number | null;
  recent: Job[] | null;
}

export function Dashboard() {
  const { orgId, org } = useOrg();
  const { me } = useSession();
  const [stats, setStats] = useState<Stats>({ running: null, queued: null, files: null, recent: null });

  useEffect(() => {
    let cancelled = false;
    const path = { org_id: orgId };
    const count = (state: "running" | "queued") =>
      call(api.GET("/api/v1/orgs/{org_id}/jobs", { params: { path, query: { state, limit: 1 } } })).then((p) => p.total, () => null);
    void Promise.all([
      count("running"),
      count("queued"),
      call(api.GET("/api/v1/orgs/{org_id}/files", { params: { path, query: { limit: 1 } } })).then((p) => p.total, () => null),
      call(api.GET("/api/v1/orgs/{org_id}/jobs", { params: { path, query: { limit: 5 } } })).then((p) => p.items, () => null),
    ]).then(([running, queued, files, recent]) => {
      if (!cancelled) setStats({ running, queued, files, recent });
    });
    return () => {
      cancelled = true;
    };
  }, [orgId]);

  const show = (n: number | null) => (n === null ? "–" : String(n));
  return (
    <section data-testid="page-dashboard">
      <PageHeader title={`Welcome${me?.name ? `, ${me.name}` : ""}`} />
      <p className="muted">
        {org ? (
          <>
            {org.name} · your role: <strong>{org.role}</strong>
          </>
        ) : null}
      </p>
      <div className="stat-grid">
        <Link to="jobs" className="card stat">
          <span className="stat-value">{show(stats.running)}</span>
          <span className="muted">running jobs</span>
        </Link>
        <Link to="jobs" className="card stat">
          <span className="stat-value">{show(stats.queued)}</span>
          <span className="muted">queued jobs</span>
        </Link>
        <Link to="uploads" className="card stat">
          <span className="stat-value">{show(stats.files)}</span>
          <span className="muted">files</span>
        </Link>
      </div>
      <div className="card">
        <h2>Recent jobs</h2>
        {stats.recent === null ? (
          <p className="muted">–</p>
        ) : stats.recent.length === 0 ? (
          <p className="muted">
            No jobs yet. <Link to="jobs">Start a demo job</Link> to see live progress.
          </p>
        ) : (
          <ul className="plain-list">
            {stats.recent.map((job) => (
              <li key={job.id}>
                <code>{job.type}</code> <StateBadge state={job.state} /> <span className="muted">{formatRelative(job.created_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
