// Importing a match: pick a provider, choose the files for each of its roles, upload them
// (resumable chunks, one progress bar each), start the import job and follow it live.
import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { Alert, Spinner } from "../../components/ui";
import { listProviders, startImport } from "../../lib/football/api";
import type { Provider } from "../../lib/football/types";
import { UploadProgressList, useUploadThenJob } from "../../state/uploadJob";
import { JobProgress, useLoad } from "./common";

export function ImportPanel({ orgId, onImported }: { orgId: string; onImported: () => void }) {
  const providers = useLoad(listProviders, []);
  const [providerName, setProviderName] = useState("");
  const [files, setFiles] = useState<Record<string, File[]>>({});
  const [name, setName] = useState("");
  const { uploads, busy, error, setError, job, run, cancel } = useUploadThenJob(orgId, onImported);

  const provider: Provider | undefined = useMemo(
    () => providers.data?.find((p) => p.name === providerName) ?? providers.data?.[0],
    [providers.data, providerName],
  );
  const missing = provider?.roles.filter((r) => r.required && !(files[r.role]?.length)) ?? [];
  const matchId = job?.state === "succeeded" ? (job.result as { match_id?: string } | null)?.match_id : undefined;

  async function submit() {
    if (!provider) return;
    const chosen = provider.roles.flatMap((r) => (files[r.role] ?? []).map((file) => ({ role: r, file })));
    await run(chosen.map(({ file }) => file), (stored) => {
      const byRole: Record<string, string | string[]> = {};
      chosen.forEach(({ role }, i) => {
        if (role.multiple) byRole[role.role] = [...((byRole[role.role] as string[] | undefined) ?? []), stored[i].id];
        else byRole[role.role] = stored[i].id;
      });
      return startImport(orgId, { provider: provider.name, files: byRole, name: name.trim() || undefined });
    });
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
      <UploadProgressList uploads={uploads} testId="import-upload-progress" />
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
          <button type="button" className="button" onClick={cancel}>
            Cancel
          </button>
        )}
        {missing.length > 0 && <span className="muted small">Still needed: {missing.map((r) => r.role).join(", ")}</span>}
      </div>
    </div>
  );
}
