// The match page's physical KPI table: by match, period or 5-minute window, filtered by team and
// name, sortable by any column, exportable as CSV or Parquet.
import { useMemo, useState } from "react";
import { errorMessage } from "../../api/client";
import { Alert, Spinner } from "../../components/ui";
import { downloadPhysical, getPhysical } from "../../lib/football/api";
import type { MatchDetail, PhysicalGrouping, Side } from "../../lib/football/types";
import { saveBlob } from "../../lib/download";
import { useLoad } from "./common";
import { matchPhysicalColumns } from "./physicalColumns";
import { SortableTable } from "./SortableTable";

/** Players on the pitch for less than this (minutes) are hidden unless asked for. */
const MIN_MINUTES = 1;

export function PlayersTab({ orgId, match }: { orgId: string; match: MatchDetail }) {
  const [grouping, setGrouping] = useState<PhysicalGrouping>("match");
  const [side, setSide] = useState<Side | "">("");
  const [query, setQuery] = useState("");
  const [hideShort, setHideShort] = useState(true);
  const [exporting, setExporting] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const table = useLoad(() => getPhysical(orgId, match.id, grouping), [orgId, match.id, grouping]);

  const players = useMemo(() => new Map(match.players.map((p) => [p.player_id, p])), [match.players]);
  const columns = useMemo(
    () => matchPhysicalColumns(players, (id) => `/o/${orgId}/football/matches/${match.id}/players/${encodeURIComponent(id)}`, grouping),
    [players, orgId, match.id, grouping],
  );
  const rows = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return (table.data?.rows ?? []).filter((r) => {
      if (side && r.side !== side) return false;
      // Broadcast tracking has many short anonymous tracks; they drown the real players.
      if (hideShort && !(Number(players.get(r.player_id)?.minutes_played ?? r.minutes_played) >= MIN_MINUTES)) return false;
      if (!needle) return true;
      const p = players.get(r.player_id);
      return [p?.name, r.player_id, p?.jersey_no?.toString(), p?.position].some((s) => s?.toLowerCase().includes(needle));
    });
  }, [table.data, side, query, players, hideShort]);

  async function exportAs(format: "csv" | "parquet") {
    setExporting(format);
    setExportError(null);
    try {
      const { blob, name } = await downloadPhysical(orgId, match.id, grouping, format);
      saveBlob(blob, name);
    } catch (err) {
      setExportError(errorMessage(err));
    } finally {
      setExporting(null);
    }
  }

  return (
    <div data-testid="tab-players">
      <div className="fb-toolbar">
        <label className="inline-field">
          <span>By</span>
          <select value={grouping} onChange={(e) => setGrouping(e.target.value as PhysicalGrouping)} data-testid="physical-grouping">
            <option value="match">match</option>
            <option value="period">period</option>
            <option value="window">5-min window</option>
          </select>
        </label>
        <label className="inline-field">
          <span>Team</span>
          <select value={side} onChange={(e) => setSide(e.target.value as Side | "")} data-testid="physical-team">
            <option value="">Both</option>
            <option value="home">{match.home.name}</option>
            <option value="away">{match.away.name}</option>
          </select>
        </label>
        <input type="search" placeholder="Filter by name or number" value={query} onChange={(e) => setQuery(e.target.value)} aria-label="Filter players" data-testid="physical-filter" />
        <label className="checkbox small">
          <input type="checkbox" checked={hideShort} onChange={(e) => setHideShort(e.target.checked)} data-testid="physical-hide-short" /> Hide players under {MIN_MINUTES} min
        </label>
        <span className="fb-spacer" />
        <button type="button" className="button button-small" disabled={exporting !== null} onClick={() => void exportAs("csv")} data-testid="export-csv">
          {exporting === "csv" ? "Exporting…" : "CSV"}
        </button>
        <button type="button" className="button button-small" disabled={exporting !== null} onClick={() => void exportAs("parquet")} data-testid="export-parquet">
          {exporting === "parquet" ? "Exporting…" : "Parquet"}
        </button>
      </div>
      {exportError && <Alert onDismiss={() => setExportError(null)}>{exportError}</Alert>}
      {table.error && <Alert>{table.error}</Alert>}
      {!table.data && !table.error ? (
        <Spinner />
      ) : (
        <SortableTable
          rows={rows}
          columns={columns}
          rowKey={(r, i) => `${r.player_id}:${r.period ?? ""}:${r.window_start_s ?? ""}:${i}`}
          initialSort={{ key: "distance_m", direction: "desc" }}
          testId="physical-table"
          rowTestId="physical-row"
          empty="No physical data for this selection."
        />
      )}
    </div>
  );
}
