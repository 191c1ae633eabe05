// Public F1 sessions (the same for every organisation), and importing a recorded one.
import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { Alert, Badge, PageHeader, Spinner } from "../../components/ui";
import { formatDay } from "../../lib/format";
import { orgTransport, uploadFile } from "../../lib/upload";
import { useLiveJob } from "../../state/liveJob";
import { JobProgress, useLoad } from "../football/common";
import { listSessions, startImport } from "./api";

export const REPLAY_TONES: Record<string, string> = { running: "success", paused: "info", queued: "info", finished: "neutral", stopped: "neutral", none: "neutral" };

export function SessionListPage() {
  const { orgId = "" } = useParams();
  const sessions = useLoad(() => listSessions(100, 0), []);
  const [importing, setImporting] = useState(false);
  return (
    <div>
      <PageHeader title="Motorsport">
        <button type="button" className="button button-primary" onClick={() => setImporting((v) => !v)} data-testid="f1-import-toggle">
          Import a recorded session
        </button>
      </PageHeader>
      {importing && <ImportSession orgId={orgId} onImported={() => void sessions.reload()} />}
      {sessions.error && <Alert>{sessions.error}</Alert>}
      {sessions.loading && !sessions.data ? (
        <Spinner />
      ) : sessions.data && sessions.data.items.length === 0 ? (
        <div className="card empty" data-testid="f1-sessions-empty">
          <p className="muted">No F1 sessions yet. Import the .jsonStream files of a recorded session to replay it live.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="f1-sessions">
            <thead>
              <tr><th>Session</th><th>Circuit</th><th>Date</th><th>Replay</th></tr>
            </thead>
            <tbody>
              {sessions.data?.items.map((s) => (
                <tr key={s.id} data-testid="f1-session-row">
                  <td data-label="Session"><Link to={`sessions/${s.id}`} data-testid="f1-session-link">{s.name}</Link></td>
                  <td data-label="Circuit">{s.circuit ?? "–"}</td>
                  <td data-label="Date">{s.starts_at ? formatDay(s.starts_at.slice(0, 10)) : "–"}</td>
                  <td data-label="Replay"><Badge tone={REPLAY_TONES[s.replay.state] ?? "neutral"}>{s.replay.state}</Badge></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function ImportSession({ orgId, onImported }: { orgId: string; onImported: () => void }) {
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [job, follow] = useLiveJob(orgId);
  const done = useRef<string | null>(null);
  useEffect(() => {
    if (job?.state === "succeeded" && done.current !== job.id) {
      done.current = job.id;
      onImported();
    }
  }, [job, onImported]);

  const submit = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      const stored = await Promise.all(files.map((file) => uploadFile(file, orgTransport(orgId), { storage: localStorage, resumeScope: orgId })));
      follow(await startImport(orgId, stored.map((f) => f.id)));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }, [files, orgId, follow]);

  return (
    <div className="card" data-testid="f1-import">
      <p className="small muted">Choose every <code>&lt;Stream&gt;.jsonStream</code> file of one session (TimingData, DriverList, SessionInfo, …).</p>
      <input type="file" multiple accept=".jsonStream" onChange={(e) => setFiles(Array.from(e.target.files ?? []))} data-testid="f1-import-files" />
      <button type="button" className="button" disabled={busy || files.length === 0} onClick={() => void submit()}>
        {busy ? "Uploading…" : `Import ${files.length} file(s)`}
      </button>
      {error && <Alert>{error}</Alert>}
      {job && <JobProgress job={job} label="Import" />}
    </div>
  );
}
