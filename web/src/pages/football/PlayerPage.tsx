// One player in one match: KPIs by period and by 5-minute window, speed over time, heat map and
// sprints (each a link to the match player at that moment).
import { useMemo } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { PitchGridCanvas } from "../../components/pitch/PitchGridCanvas";
import { useOrg } from "../../components/Shell";
import { Alert, PageHeader, Spinner } from "../../components/ui";
import { getMatch, getPlayerReport } from "../../lib/football/api";
import { matchClock } from "../../lib/football/clock";
import { formatValue } from "../../lib/football/labels";
import { percent, scoreLine, useLoad } from "./common";
import { playerLabel, playerPhysicalColumns } from "./physicalColumns";
import { SortableTable } from "./SortableTable";
import { SpeedChart } from "./SpeedChart";

/** The speed zone edges the match's metrics were computed with, when the server says. */
function zoneEdges(metrics: Record<string, unknown> | undefined): number[] | undefined {
  const config = metrics?.physical_config as { speed_zones_kmh?: unknown } | undefined;
  const edges = config?.speed_zones_kmh;
  return Array.isArray(edges) && edges.length > 0 && edges.every((e) => typeof e === "number") ? edges : undefined;
}

/** Seconds before a sprint's start that the match player opens at (to see the build-up). */
const LEAD_IN_S = 3;

export function PlayerPage() {
  const { orgId } = useOrg();
  const { matchId = "", playerId = "" } = useParams();
  const navigate = useNavigate();
  const match = useLoad(() => getMatch(orgId, matchId), [orgId, matchId]);
  const report = useLoad(() => getPlayerReport(orgId, matchId, playerId), [orgId, matchId, playerId]);
  const byPeriod = useMemo(() => playerPhysicalColumns("period"), []);
  const byWindow = useMemo(() => playerPhysicalColumns("window"), []);

  const matchHref = (t?: number) =>
    `/o/${orgId}/football/matches/${matchId}${t !== undefined ? `?t=${Math.max(0, t).toFixed(1)}&player=${encodeURIComponent(playerId)}` : ""}`;
  const error = match.error ?? report.error;
  if (error) {
    return (
      <section data-testid="page-player">
        <Link to={matchHref()}>← Match</Link>
        <Alert testId="player-error">{error}</Alert>
      </section>
    );
  }
  if (!match.data || !report.data) return <Spinner />;
  const { player, by_period, by_window, speed, heatmap, sprints } = report.data;
  const periods = match.data.periods;

  return (
    <section data-testid="page-player" data-player-id={player.player_id}>
      <nav className="small fb-breadcrumb">
        <Link to={matchHref()} data-testid="back-to-match">
          ← {scoreLine(match.data)}
        </Link>
      </nav>
      <PageHeader title={playerLabel(player, player.player_id)} />
      <p className="muted fb-meta" data-testid="player-summary">
        <span>{player.side === "home" ? match.data.home.name : match.data.away.name}</span>
        {player.position && <span>{player.position}</span>}
        <span>{formatValue("minutes_played", player.minutes_played)} min played</span>
        <span>{formatValue("observed_minutes", player.observed_minutes)} min observed</span>
        <span>coverage {percent(player.coverage)}</span>
      </p>

      <h2>By period</h2>
      <SortableTable rows={by_period} columns={byPeriod} rowKey={(r, i) => `${r.period}:${i}`} testId="player-by-period" />

      <h2>Speed</h2>
      <div className="card fb-chart-card">
        {speed.t.length === 0 ? (
          <p className="muted">No speed data.</p>
        ) : (
          <SpeedChart t={speed.t} v={speed.v} periods={periods} zoneEdgesKmh={zoneEdges(match.data.metrics)} onPick={(t) => navigate(matchHref(t))} />
        )}
        <p className="muted small">Gaps are stretches where the player was not observed. Click the chart to open the match there.</p>
      </div>

      <div className="fb-two-col">
        <div>
          <h2>Heat map</h2>
          <PitchGridCanvas grid={heatmap} pitch={match.data.pitch} label={`Where ${player.name ?? player.player_id} was on the pitch`} testId="heatmap" />
          <p className="muted small">{match.data.home.name} attacks left to right.</p>
        </div>
        <div>
          <h2>Sprints ({sprints.length})</h2>
          {sprints.length === 0 ? (
            <p className="muted">No sprints.</p>
          ) : (
            <ol className="plain-list fb-sprints">
              {sprints.map((s, i) => (
                <li key={i}>
                  <Link to={matchHref(s.start_s - LEAD_IN_S)} data-testid="sprint-link">
                    {matchClock(periods, s.start_s)}
                  </Link>{" "}
                  <span className="muted small">
                    {formatValue("distance_m", s.distance_m)} m · peak {formatValue("top_speed_kmh", s.peak_speed_ms * 3.6)} km/h · {(s.end_s - s.start_s).toFixed(1)} s
                  </span>
                </li>
              ))}
            </ol>
          )}
        </div>
      </div>

      <h2>By 5-minute window</h2>
      <SortableTable rows={by_window} columns={byWindow} rowKey={(r, i) => `${r.window_start_s}:${i}`} initialSort={{ key: "window_start_s", direction: "asc" }} testId="player-by-window" />
    </section>
  );
}
