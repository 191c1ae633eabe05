// The football API's shapes, written by hand until the generated schema carries them
// (see lib/football/api.ts). Field names follow the server's JSON exactly.

export type Side = "home" | "away";
export type MatchStatus = "importing" | "ready" | "failed";

export interface ProviderRole {
  role: string;
  required: boolean;
  multiple: boolean;
  description: string;
}

export interface Provider {
  name: string;
  kind: "tracking" | "events";
  description: string;
  roles: ProviderRole[];
}

export interface TeamSummary {
  name: string;
  colour: string | null;
  score: number | null;
}

export interface MatchSummary {
  id: string;
  name: string;
  provider: string;
  status: MatchStatus;
  home: TeamSummary;
  away: TeamSummary;
  date: string | null;
  competition: string | null;
  has_tracking: boolean;
  has_events: boolean;
  frame_rate: number | null;
  n_frames: number;
  duration_s: number;
  /** Share of frames with any object (0..1); null without tracking. */
  coverage: number | null;
  created_at: string;
}

export interface PeriodSpan {
  period_id: number;
  start_s: number;
  end_s: number;
}

export interface MatchPlayer {
  index: number;
  player_id: string;
  side: Side;
  name: string | null;
  jersey_no: number | null;
  position: string | null;
  starting: boolean | null;
  /** Null when the match has no tracking to measure them from. */
  minutes_played: number | null;
  observed_minutes: number | null;
  coverage: number | null;
}

export interface MatchDetail extends MatchSummary {
  periods: PeriodSpan[];
  players: MatchPlayer[];
  warnings: string[];
  pitch: { length: number; width: number };
  /** Definitions the stored metrics use (e.g. physical_config.speed_zones_kmh). */
  metrics?: Record<string, unknown>;
}

export interface MatchEvent {
  event_id: string;
  timeline: number;
  period: number;
  t: number;
  type: string;
  result: string | null;
  success: boolean | null;
  side: Side | null;
  player_id: string | null;
  x: number | null;
  y: number | null;
  end_x: number | null;
  end_y: number | null;
}

/** One row of physical KPIs (per match, per period or per time window). */
export interface PhysicalRow {
  player_id: string;
  side: Side;
  period: number | null;
  window_start_s: number | null;
  window_end_s: number | null;
  minutes_played: number;
  observed_minutes: number;
  coverage: number;
  distance_m: number;
  distance_per_observed_min: number;
  zone_1_m: number;
  zone_2_m: number;
  zone_3_m: number;
  zone_4_m: number;
  zone_5_m: number;
  hsr_m: number;
  sprint_m: number;
  sprint_count: number;
  accelerations: number;
  decelerations: number;
  top_speed_kmh: number;
  metabolic_power_wkg: number | null;
}

export type PhysicalGrouping = "match" | "period" | "window";

export interface PhysicalTable {
  rows: PhysicalRow[];
  config: Record<string, unknown>;
}

export type TeamStats = Record<Side, Record<string, unknown>>;

/** A grid over the pitch, row-major, row 0 at y = extent[2]. */
export interface PitchGrid {
  nx: number;
  ny: number;
  extent: [number, number, number, number];
  values: number[];
}

export interface PitchControl extends PitchGrid {
  t: number;
}

export interface Sprint {
  start_s: number;
  end_s: number;
  peak_speed_ms: number;
  distance_m: number;
}

export interface PlayerReport {
  player: MatchPlayer;
  by_period: PhysicalRow[];
  by_window: PhysicalRow[];
  speed: { t: number[]; v: (number | null)[] };
  heatmap: PitchGrid;
  sprints: Sprint[];
}

export interface Moment {
  kind: string;
  label: string;
  start_s: number;
  end_s: number;
  side: Side | null;
  player_id: string | null;
}

export type ClipVideoStatus = "none" | "rendering" | "ready" | "failed";

export interface Clip {
  id: string;
  name: string;
  start_s: number;
  end_s: number;
  created_at: string;
  video: { status: ClipVideoStatus; file_id: string | null; job_id: string | null };
}

export interface ClipInput {
  name: string;
  start_s: number;
  end_s: number;
}

export interface ImportRequest {
  provider: string;
  files: Record<string, string | string[]>;
  name?: string;
}
