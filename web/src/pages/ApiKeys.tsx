import { useRef, useState, type FormEvent } from "react";
import { api, call, errorMessage } from "../api/client";
import type { ApiKey, ApiKeyCreated, ApiKeyScope } from "../api/types";
import { Alert, Badge, InlineConfirm, PageHeader, Pager, Spinner } from "../components/ui";
import { useOrg } from "../components/Shell";
import { formatDate, formatRelative } from "../lib/format";
import { usePagedList } from "../lib/usePagedList";

const SCOPES: { value: ApiKeyScope; label: string; help: string }[] = [
  { value: "read", label: "read", help: "read data" },
  { value: "write", label: "write", help: "upload files, start jobs" },
  { value: "admin", label: "admin", help: "manage the organisation" },
];
const PAGE_SIZE = 50;

export type KeyStatus = "active" | "revoked" | "expired";

export function keyStatus(key: Pick<ApiKey, "revoked_at" | "expires_at">, now = Date.now()): KeyStatus {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && Date.parse(key.expires_at) <= now) return "expired";
  return "active";
}

const STATUS_TONE: Record<KeyStatus, string> = { active: "success", revoked: "danger", expired: "muted" };

function SecretBox({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const codeRef = useRef<HTMLElement>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("yes");
    } catch {
      // No clipboard access (e.g. plain http): select the text so Ctrl+C works.
      const range = document.createRange();
      if (codeRef.current) {
        range.selectNodeContents(codeRef.current);
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(range);
      }
      setCopied("no");
    }
  }

  return (
    <div className="card secret-box" role="dialog" aria-labelledby="secret-title" data-testid="apikey-secret-box">
      <h2 id="secret-title">API key “{created.name}” created</h2>
      <Alert kind="warning" testId="apikey-secret-warning">
        Copy this key now. It is shown only once: Sideline stores only a hash of it, so it cannot be shown again.
      </Alert>
      <div className="secret-row">
        <code className="secret" ref={codeRef} data-testid="apikey-secret">
          {created.key}
        </code>
        <button type="button" className="button" onClick={copy} data-testid="apikey-copy">
          {copied === "yes" ? "Copied" : "Copy"}
        </button>
      </div>
      {copied === "no" && <p className="small muted">Could not copy automatically; the key is selected, press Ctrl+C.</p>}
      <p className="small muted">
        Send it in API requests as <code>Authorization: Bearer sk_…</code> (the whole key).
      </p>
      <button type="button" className="button button-primary" onClick={onDone} data-testid="apikey-secret-dismiss">
        I have saved the key
      </button>
    </div>
  );
}

function KeyRow({ apiKey, orgId, onRevoked, onError }: {
  apiKey: ApiKey;
  orgId: string;
  onRevoked: (key: ApiKey) => void;
  onError: (message: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const status = keyStatus(apiKey);

  async function revoke() {
    setBusy(true);
    try {
      const revoked = await call(
        api.DELETE("/api/v1/orgs/{org_id}/api-keys/{key_id}", { params: { path: { org_id: orgId, key_id: apiKey.id } } }),
      );
      onRevoked(revoked ?? { ...apiKey, revoked_at: new Date().toISOString() });
    } catch (err) {
      onError(errorMessage(err));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <tr data-testid="apikey-row" data-key-id={apiKey.id} data-status={status}>
      <td data-label="Name" className="break">
        {apiKey.name}
      </td>
      <td data-label="Prefix">
        <code>{apiKey.prefix}…</code>
      </td>
      <td data-label="Scopes">
        {apiKey.scopes.map((s) => (
          <span key={s} className="chip">
            {s}
          </span>
        ))}
      </td>
      <td data-label="Created" title={formatDate(apiKey.created_at)}>
        {formatRelative(apiKey.created_at)}
      </td>
      <td data-label="Expires">{apiKey.expires_at ? formatDate(apiKey.expires_at) : "never"}</td>
      <td data-label="Last used" title={apiKey.last_used_at ? formatDate(apiKey.last_used_at) : undefined}>
        {formatRelative(apiKey.last_used_at)}
      </td>
      <td data-label="Status">
        <Badge tone={STATUS_TONE[status]} testId="apikey-status">
          {status}
        </Badge>
      </td>
      <td data-label="" className="actions">
        {status === "active" &&
          (confirming ? (
            <InlineConfirm
              question="Revoke? Apps using it stop working."
              confirmLabel="Revoke"
              busyLabel="Revoking…"
              busy={busy}
              onConfirm={() => void revoke()}
              onCancel={() => setConfirming(false)}
              confirmTestId="apikey-revoke-confirm"
              cancelTestId="apikey-revoke-cancel"
            />
          ) : (
            <button type="button" className="button button-small button-danger-outline" onClick={() => setConfirming(true)} data-testid="apikey-revoke">
              Revoke
            </button>
          ))}
      </td>
    </tr>
  );
}

export function ApiKeysPage() {
  const { orgId } = useOrg();
  const {
    items: keys,
    setItems: setKeys,
    total,
    offset,
    setOffset,
    error,
    setError,
    reload: load,
  } = usePagedList(
    (limit, offset) => call(api.GET("/api/v1/orgs/{org_id}/api-keys", { params: { path: { org_id: orgId }, query: { limit, offset } } })),
    [orgId],
    { pageSize: PAGE_SIZE },
  );
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>(["read"]);
  const [days, setDays] = useState("");
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const expires = days.trim() ? Number(days) : null;
    if (expires !== null && (!Number.isInteger(expires) || expires < 1)) {
      setError("Expiry must be a whole number of days (1 or more), or empty for no expiry.");
      return;
    }
    setCreating(true);
    try {
      const result = await call(
        api.POST("/api/v1/orgs/{org_id}/api-keys", {
          params: { path: { org_id: orgId } },
          body: { name: name.trim(), scopes, expires_in_days: expires },
        }),
      );
      setCreated(result);
      setName("");
      setDays("");
      void load();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setCreating(false);
    }
  }

  const toggleScope = (scope: ApiKeyScope) =>
    setScopes((s) => (s.includes(scope) ? s.filter((x) => x !== scope) : [...s, scope]));

  return (
    <section data-testid="page-api-keys">
      <PageHeader title="API keys" />
      <p className="muted">Keys let scripts and other systems use the Sideline API on behalf of this organisation.</p>
      {error && (
        <Alert onDismiss={() => setError(null)} testId="apikeys-error">
          {error}
        </Alert>
      )}
      {created && <SecretBox created={created} onDone={() => setCreated(null)} />}

      <form className="card form-grid" onSubmit={create} data-testid="apikey-form">
        <h2>New key</h2>
        <label className="field">
          <span>Name</span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={100}
            placeholder="e.g. Tracking import script"
            data-testid="apikey-name"
          />
        </label>
        <fieldset className="field">
          <legend>Scopes</legend>
          <div className="checkbox-row">
            {SCOPES.map((s) => (
              <label key={s.value} className="checkbox" title={s.help}>
                <input
                  type="checkbox"
                  checked={scopes.includes(s.value)}
                  onChange={() => toggleScope(s.value)}
                  data-testid={`apikey-scope-${s.value}`}
                />
                {s.label} <span className="muted small">({s.help})</span>
              </label>
            ))}
          </div>
        </fieldset>
        <label className="field">
          <span>Expires after (days, optional)</span>
          <input
            type="number"
            min={1}
            max={3650}
            step={1}
            inputMode="numeric"
            value={days}
            onChange={(e) => setDays(e.target.value)}
            placeholder="never"
            data-testid="apikey-expiry"
          />
        </label>
        <div>
          <button type="submit" className="button button-primary" disabled={creating || !name.trim() || scopes.length === 0} data-testid="apikey-create">
            {creating ? "Creating…" : "Create key"}
          </button>
        </div>
      </form>

      <h2>Keys</h2>
      {keys === null ? (
        error ? null : <Spinner />
      ) : keys.length === 0 ? (
        <div className="card empty" data-testid="apikeys-empty">
          <p>No API keys yet.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="apikeys-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Prefix</th>
                <th>Scopes</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th>Status</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <KeyRow
                  key={k.id}
                  apiKey={k}
                  orgId={orgId}
                  onError={setError}
                  onRevoked={(revoked) => setKeys((list) => list?.map((x) => (x.id === revoked.id ? revoked : x)) ?? null)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager total={total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
    </section>
  );
}
