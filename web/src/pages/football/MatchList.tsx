// The football section's front page: the organisation's matches and the import panel.
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { Alert, PageHeader, Pager, Spinner } from "../../components/ui";
import { useOrg } from "../../components/Shell";
import { listMatches } from "../../lib/football/api";
import { formatDay, formatRelative } from "../../lib/format";
import { usePagedList } from "../../lib/usePagedList";
import { ImportPanel } from "./ImportPanel";
import { MatchStatusBadge, percent, scoreLine } from "./common";

const PAGE_SIZE = 25;
const POLL_MS = 5000;

export function MatchListPage() {
  const { orgId } = useOrg();
  const [importing, setImporting] = useState(false);
  const { items, total, offset, setOffset, error, setError, reload } = usePagedList(
    (limit, offset) => listMatches(orgId, limit, offset),
    [orgId],
    { pageSize: PAGE_SIZE, clearErrorOnLoad: true },
  );
  const onImported = useCallback(() => void reload(), [reload]);

  // A match being imported changes status on its own: look again now and then.
  const anyImporting = items?.some((m) => m.status === "importing") ?? false;
  useEffect(() => {
    if (!anyImporting) return;
    const timer = setInterval(() => void reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [anyImporting, reload]);

  return (
    <section data-testid="page-football">
      <PageHeader title="Football">
        <button type="button" className="button button-primary" onClick={() => setImporting((v) => !v)} data-testid="import-toggle" aria-expanded={importing}>
          {importing ? "Close import" : "Import a match"}
        </button>
      </PageHeader>
      {importing && <ImportPanel orgId={orgId} onImported={onImported} />}
      {error && (
        <Alert onDismiss={() => setError(null)} testId="matches-error">
          {error}
        </Alert>
      )}
      {items === null ? (
        error ? null : <Spinner />
      ) : items.length === 0 ? (
        <div className="card empty" data-testid="matches-empty">
          <p>No matches yet.</p>
          <p className="muted">Import tracking or event data of a match to watch it in 2D and see physical and team KPIs.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="matches-table">
            <thead>
              <tr>
                <th>Match</th>
                <th>Teams</th>
                <th>Date</th>
                <th>Provider</th>
                <th>Coverage</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.id} data-testid="match-row" data-match-id={m.id} data-status={m.status}>
                  <td data-label="Match" className="break">
                    <Link to={`/o/${orgId}/football/matches/${m.id}`} data-testid="match-link">
                      {m.name}
                    </Link>
                    {m.competition && <div className="muted small">{m.competition}</div>}
                  </td>
                  <td data-label="Teams">
                    {scoreLine(m)}
                  </td>
                  <td data-label="Date">{m.date ? formatDay(m.date.slice(0, 10)) : <span className="muted">{formatRelative(m.created_at)}</span>}</td>
                  <td data-label="Provider">
                    {m.provider}
                    <div className="muted small">
                      {[m.has_tracking && "tracking", m.has_events && "events"].filter(Boolean).join(" + ") || "–"}
                    </div>
                  </td>
                  <td data-label="Coverage">{percent(m.coverage)}</td>
                  <td data-label="Status">
                    <MatchStatusBadge status={m.status} />
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
