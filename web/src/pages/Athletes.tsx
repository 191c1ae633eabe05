import { useEffect, useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";
import { api, call, errorMessage } from "../api/client";
import type { Athlete, Erasure } from "../api/types";
import { Alert, PageHeader, Pager, Spinner } from "../components/ui";
import { useOrg } from "../components/Shell";
import { formatDay, todayIso } from "../lib/format";
import { canWrite, isOwner } from "../lib/roles";
import { usePagedList } from "../lib/usePagedList";

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;
const SPORTS = ["football", "basketball", "tennis", "golf", "baseball", "athletics", "cycling", "swimming", "rugby", "motorsport"];

interface Draft {
  name: string;
  sport: string;
  position: string;
  birthDate: string;
}

const EMPTY: Draft = { name: "", sport: "", position: "", birthDate: "" };
const draftOf = (a: Athlete): Draft => ({ name: a.name, sport: a.sport ?? "", position: a.position ?? "", birthDate: a.birth_date ?? "" });
const orNull = (s: string) => (s.trim() ? s.trim() : null);

function AthleteForm({ orgId, editing, onSaved, onCancel }: {
  orgId: string;
  editing: Athlete | null;
  onSaved: (athlete: Athlete, created: boolean) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(editing ? draftOf(editing) : EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setDraft(editing ? draftOf(editing) : EMPTY);
    setError(null);
    if (editing) nameRef.current?.focus();
  }, [editing]);

  const set = (field: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [field]: e.target.value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const fields = { name: draft.name.trim(), sport: orNull(draft.sport), position: orNull(draft.position), birth_date: orNull(draft.birthDate) };
    try {
      const saved = editing
        ? await call(
            api.PATCH("/api/v1/orgs/{org_id}/athletes/{athlete_id}", {
              params: { path: { org_id: orgId, athlete_id: editing.id } },
              body: fields,
            }),
          )
        : await call(api.POST("/api/v1/orgs/{org_id}/athletes", { params: { path: { org_id: orgId } }, body: fields }));
      onSaved(saved, !editing);
      if (!editing) setDraft(EMPTY);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-grid" onSubmit={submit} data-testid="athlete-form" data-mode={editing ? "edit" : "create"}>
      <h2>{editing ? `Edit ${editing.name}` : "New athlete"}</h2>
      {error && (
        <Alert onDismiss={() => setError(null)} testId="athlete-form-error">
          {error}
        </Alert>
      )}
      <label className="field">
        <span>Name</span>
        <input ref={nameRef} required maxLength={200} value={draft.name} onChange={set("name")} data-testid="athlete-name" />
      </label>
      <div className="field-row">
        <label className="field grow">
          <span>Sport</span>
          <input list="athlete-sports" maxLength={40} value={draft.sport} onChange={set("sport")} placeholder="e.g. football" data-testid="athlete-sport" />
        </label>
        <label className="field grow">
          <span>Position</span>
          <input maxLength={80} value={draft.position} onChange={set("position")} placeholder="e.g. left back" data-testid="athlete-position" />
        </label>
        <label className="field">
          <span>Birth date</span>
          <input type="date" min="1900-01-01" max={todayIso()} value={draft.birthDate} onChange={set("birthDate")} data-testid="athlete-birth-date" />
        </label>
      </div>
      <datalist id="athlete-sports">
        {SPORTS.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <div className="row">
        <button type="submit" className="button button-primary" disabled={busy || !draft.name.trim()} data-testid={editing ? "athlete-save" : "athlete-create"}>
          {busy ? "Saving…" : editing ? "Save changes" : "Add athlete"}
        </button>
        {editing && (
          <button type="button" className="button" onClick={onCancel} data-testid="athlete-edit-cancel">
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function DeleteDialog({ athlete, orgId, onDeleted, onCancel }: {
  athlete: Athlete;
  orgId: string;
  onDeleted: (erasure: Erasure) => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const matches = typed.trim() === athlete.name.trim();

  async function erase(e: FormEvent) {
    e.preventDefault();
    if (!matches) return;
    setBusy(true);
    setError(null);
    try {
      onDeleted(
        await call(api.DELETE("/api/v1/orgs/{org_id}/athletes/{athlete_id}", { params: { path: { org_id: orgId, athlete_id: athlete.id } } })),
      );
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form className="card danger-card" role="alertdialog" aria-labelledby="erase-title" aria-describedby="erase-text" onSubmit={erase} data-testid="athlete-delete-dialog">
      <h2 id="erase-title">Delete {athlete.name} and all their data?</h2>
      <div id="erase-text">
        <p>
          This permanently erases <strong>{athlete.name}</strong> and everything recorded about them: their datasets, files,
          samples and metrics. The organisation’s earlier export archives are deleted too, because they contain this data.
        </p>
        <p>
          <strong>This cannot be undone.</strong> Use it when the athlete asks for their data to be erased, or leaves for good.
        </p>
      </div>
      {error && <Alert testId="athlete-delete-error">{error}</Alert>}
      <label className="field">
        <span>
          Type <strong className="break">{athlete.name}</strong> to confirm
        </span>
        <input value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus autoComplete="off" spellCheck={false} data-testid="athlete-delete-confirm-name" />
      </label>
      <div className="row">
        <button type="submit" className="button button-danger" disabled={!matches || busy} data-testid="athlete-delete-confirm">
          {busy ? "Erasing…" : "Erase athlete and data"}
        </button>
        <button type="button" className="button" onClick={onCancel} disabled={busy} data-testid="athlete-delete-cancel">
          Cancel
        </button>
      </div>
    </form>
  );
}

function describeErasure(erasure: Erasure): string {
  const parts = Object.entries(erasure.deleted)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what.replace(/_/g, " ")}`);
  return parts.length ? `Removed: ${parts.join(", ")}.` : "";
}

export function AthletesPage() {
  const { orgId, org } = useOrg();
  const [searchParams, setSearchParams] = useSearchParams();
  const q = searchParams.get("q") ?? "";
  const [search, setSearch] = useState(q);
  const {
    items: athletes,
    setItems: setAthletes,
    total,
    setTotal,
    offset,
    setOffset,
    error,
    setError,
    reload: load,
  } = usePagedList(
    (limit, offset) =>
      call(api.GET("/api/v1/orgs/{org_id}/athletes", { params: { path: { org_id: orgId }, query: { q: q || undefined, limit, offset } } })),
    [orgId, q],
    { pageSize: PAGE_SIZE, clearErrorOnLoad: true },
  );
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<Athlete | null>(null);
  const [deleting, setDeleting] = useState<Athlete | null>(null);
  const writer = canWrite(org?.role);
  const owner = isOwner(org?.role);

  // The search box follows the URL (back/forward), and the URL follows typing after a short pause.
  useEffect(() => setSearch(q), [q]);
  useEffect(() => {
    if (search.trim() === q) return;
    const timer = setTimeout(() => {
      setSearchParams(
        (params) => {
          const next = new URLSearchParams(params);
          if (search.trim()) next.set("q", search.trim());
          else next.delete("q");
          return next;
        },
        { replace: true },
      );
      setOffset(0);
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, q, setSearchParams]);

  function saved(athlete: Athlete, created: boolean) {
    setNotice(created ? `${athlete.name} was added.` : `${athlete.name} was saved.`);
    setEditing(null);
    void load();
  }

  function deleted(athlete: Athlete, erasure: Erasure) {
    setDeleting(null);
    if (editing?.id === athlete.id) setEditing(null);
    setNotice(`${athlete.name} and all their data were erased. ${describeErasure(erasure)}`.trim());
    setAthletes((list) => list?.filter((a) => a.id !== athlete.id) ?? null);
    setTotal((t) => t - 1);
  }

  return (
    <section data-testid="page-athletes">
      <PageHeader title="Athletes">
        <label className="inline-field">
          <span className="sr-only">Search athletes</span>
          <input
            type="search"
            placeholder="Search by name"
            value={search}
            maxLength={200}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="athlete-search"
          />
        </label>
      </PageHeader>
      {error && (
        <Alert onDismiss={() => setError(null)} testId="athletes-error">
          {error}
        </Alert>
      )}
      {notice && (
        <Alert kind="success" onDismiss={() => setNotice(null)} testId="athletes-notice">
          {notice}
        </Alert>
      )}
      {deleting && (
        <DeleteDialog athlete={deleting} orgId={orgId} onCancel={() => setDeleting(null)} onDeleted={(erasure) => deleted(deleting, erasure)} />
      )}
      {writer && <AthleteForm orgId={orgId} editing={editing} onSaved={saved} onCancel={() => setEditing(null)} />}

      <h2>{q ? `Athletes matching “${q}”` : "All athletes"}</h2>
      {athletes === null ? (
        error ? null : <Spinner />
      ) : athletes.length === 0 ? (
        <div className="card empty" data-testid="athletes-empty">
          <p>{q ? `No athlete’s name contains “${q}”.` : "No athletes yet."}</p>
          {!q && writer && <p className="muted">Add the first one with the form above.</p>}
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="athletes-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Sport</th>
                <th>Position</th>
                <th>Birth date</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {athletes.map((a) => (
                <tr key={a.id} data-testid="athlete-row" data-athlete-id={a.id}>
                  <td data-label="Name" className="break">
                    <span data-testid="athlete-row-name">{a.name}</span>
                  </td>
                  <td data-label="Sport">{a.sport || "–"}</td>
                  <td data-label="Position" className="break">
                    {a.position || "–"}
                  </td>
                  <td data-label="Birth date">{formatDay(a.birth_date)}</td>
                  <td data-label="" className="actions">
                    {writer && (
                      <button type="button" className="button button-small" onClick={() => setEditing(a)} data-testid="athlete-edit">
                        Edit
                      </button>
                    )}
                    {owner && (
                      <button type="button" className="button button-small button-danger-outline" onClick={() => setDeleting(a)} data-testid="athlete-delete">
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager total={total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
    </section>
  );
}
