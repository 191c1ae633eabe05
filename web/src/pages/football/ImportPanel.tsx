// Importing a match: pick a provider, choose the files for each of its roles, upload them
// (resumable chunks, one progress bar each), start the import job and follow it live.
import { useEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { errorMessage } from "../../api/client";
import type { Job } from "../../api/types";
import { Alert, ProgressBar, Spinner } from "../../components/ui";
import { listProviders, startImport } from "../../lib/football/api";
import type { Provider } from "../../lib/football/types";
import { formatBytes } from "../../lib/format";
import { orgTransport, uploadFile } from "../../lib/upload";
import { useLiveJob } from "../../state/liveJob";
import { JobProgress, useLoad } from "./common";

interface UploadState {
  name: string;
  size: number;
  received: number;
  error?: string;
}

export function ImportPanel({ orgId, onImported }: { orgId: string; onImported: () => void }) {
  const providers = useLoad(listProviders, []);
  const [providerName, setProviderName] = useState("");
  const [files, setFiles] = useState<Record<string, File[]>>({});
  const [name, setName] = useState("");
  const [uploads, setUploads] = useState<UploadState[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [job, follow] = useLiveJob(orgId);
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  const provider: Provider | undefined = useMemo(
    () => providers.data?.find((p) => p.name === providerName) ?? providers.data?.[0],
    [providers.data, providerName],
  );
  const missing = provider?.roles.filter((r) => r.required && !(files[r.role]?.length)) ?? [];
  const matchId = job?.state === "succeeded" ? (job.result as { match_id?: string } | null)?.match_id : undefined;

  const notified = useRef<string | null>(null);
  useEffect(() => {
    if (job && job.state === "succeeded" && notified.current !== job.id) {
      notified.current = job.id;
      onImported();
    }
  }, [job, onImported]);

  async function submit() {
    if (!provider) return;
    setBusy(true);
    setError(null);
    follow(null);
    const abort = new AbortController();
    controller.current = abort;
    const chosen = provider.roles.flatMap((r) => (files[r.role] ?? []).map((file) => ({ role: r, file })));
    setUploads(chosen.map(({ file }) => ({ name: file.name, size: file.size, received: 0 })));
    try {
      const stored = await Promise.all(
        chosen.map(({ file }, i) =>
          uploadFile(file, orgTransport(orgId), {
            signal: abort.signal,
            storage: localStorage,
            resumeScope: orgId,
            onProgress: (received) => setUploads((list) => list.map((u, j) => (j === i ? { ...u, received } : u))),
          }),
        ),
      );
      const byRole: Record<string, string | string[]> = {};
      chosen.forEach(({ role }, i) => {
        if (role.multiple) byRole[role.role] = [...((byRole[role.role] as string[] | undefined) ?? []), stored[i].id];
        else byRole[role.role] = stored[i].id;
      });
      const started: Job = await startImport(orgId, { provider: provider.name, files: byRole, name: name.trim() || undefined });
      follow(started);
    } catch (err) {
      if (!(err instanceof DOMException && err.name === "AbortError")) setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (providers.error) return <Alert>{providers.error}</Alert>;
  if (!providers.data) return <Spinner label="Loading providers…" />;

  return (
    <div className="card fb-import" data-testid="import-panel">
      <h2>Import a match</h2>
      <label className="field">
        <span>Provider</span>
        <select
          value={provider?.name ?? ""}
          data-testid="import-provider"
          onChange={(e) => {
            setProviderName(e.target.value);
            setFiles({});
          }}
        >
          {providers.data.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name} ({p.kind})
            </option>
          ))}
        </select>
      </label>
      {provider && <p className="muted small">{provider.description}</p>}
      {provider?.roles.map((role) => (
        <label key={role.role} className="field">
          <span>
            {role.role}
            {role.required ? " *" : " (optional)"}
          </span>
          <input
            type="file"
            multiple={role.multiple}
            data-testid={`import-file-${role.role}`}
            onChange={(e) => {
              const picked = Array.from(e.target.files ?? []);
              setFiles((f) => ({ ...f, [role.role]: picked }));
            }}
          />
          <span className="muted small">{role.description}</span>
        </label>
      ))}
      <label className="field">
        <span>Name (optional)</span>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Bayern v Dortmund, 9 Nov 2019" data-testid="import-name" />
      </label>
      {uploads.length > 0 && (
        <ul className="plain-list fb-uploads">
          {uploads.map((u, i) => (
            <li key={i}>
              <div className="small">
                {u.name} · {formatBytes(u.received)} / {formatBytes(u.size)}
              </div>
              <ProgressBar value={u.size ? (u.received / u.size) * 100 : 100} label={`Upload of ${u.name}`} testId="import-upload-progress" />
            </li>
          ))}
        </ul>
      )}
      {job && <JobProgress job={job} label="Import progress" />}
      {matchId && (
        <Alert kind="success" testId="import-done">
          Imported. <Link to={`/o/${orgId}/football/matches/${matchId}`} data-testid="import-open-match">Open the match</Link>
        </Alert>
      )}
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      <div className="row">
        <button type="button" className="button button-primary" disabled={busy || !provider || missing.length > 0} onClick={() => void submit()} data-testid="import-start">
          {busy ? "Uploading…" : "Upload and import"}
        </button>
        {busy && (
          <button type="button" className="button" onClick={() => controller.current?.abort()}>
            Cancel
          </button>
        )}
        {missing.length > 0 && <span className="muted small">Still needed: {missing.map((r) => r.role).join(", ")}</span>}
      </div>
    </div>
  );
}
