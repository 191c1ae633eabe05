// The columns of physical KPI tables (match page and player page).
import { Link } from "react-router-dom";
import { formatSeconds, formatValue, labelFor } from "../../lib/football/labels";
import type { MatchPlayer, PhysicalGrouping, PhysicalRow } from "../../lib/football/types";
import type { Column } from "./SortableTable";

export const KPI_KEYS = [
  "minutes_played",
  "observed_minutes",
  "coverage",
  "distance_m",
  "distance_per_observed_min",
  "zone_1_m",
  "zone_2_m",
  "zone_3_m",
  "zone_4_m",
  "zone_5_m",
  "hsr_m",
  "sprint_m",
  "sprint_count",
  "accelerations",
  "decelerations",
  "top_speed_kmh",
  "metabolic_power_wkg",
] as const satisfies readonly (keyof PhysicalRow)[];

export const playerLabel = (player: MatchPlayer | undefined, fallbackId: string) =>
  player ? `${player.jersey_no !== null ? `${player.jersey_no} · ` : ""}${player.name ?? player.player_id}` : fallbackId;

function kpiColumns(): Column<PhysicalRow>[] {
  return KPI_KEYS.map((key) => ({
    key,
    label: labelFor(key),
    numeric: true,
    value: (row: PhysicalRow) => row[key],
    render: (row: PhysicalRow) => formatValue(key, row[key]),
  }));
}

/** When the row counts: its period, its time window, or nothing (whole match). */
function spanColumns(grouping: PhysicalGrouping): Column<PhysicalRow>[] {
  if (grouping === "period") return [{ key: "period", label: "Period", numeric: true, value: (r) => r.period, render: (r) => String(r.period ?? "–") }];
  if (grouping === "window") {
    return [{
      key: "window_start_s",
      label: "Window",
      numeric: true,
      value: (r) => r.window_start_s,
      render: (r) => `${formatSeconds(r.window_start_s)}–${formatSeconds(r.window_end_s)}`,
    }];
  }
  return [];
}

/** Player, team, span and KPI columns for the match page's table. */
export function matchPhysicalColumns(players: Map<string, MatchPlayer>, playerHref: (playerId: string) => string, grouping: PhysicalGrouping): Column<PhysicalRow>[] {
  return [
    {
      key: "player",
      label: "Player",
      value: (r) => players.get(r.player_id)?.name ?? r.player_id,
      render: (r) => (
        <Link to={playerHref(r.player_id)} data-testid="player-link" onClick={(e) => e.stopPropagation()}>
          {playerLabel(players.get(r.player_id), r.player_id)}
        </Link>
      ),
    },
    { key: "side", label: "Team", value: (r) => r.side },
    ...spanColumns(grouping),
    ...kpiColumns(),
  ];
}

/** Span and KPI columns for one player's tables. */
export const playerPhysicalColumns = (grouping: PhysicalGrouping) => [...spanColumns(grouping), ...kpiColumns()];
