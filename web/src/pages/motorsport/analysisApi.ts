// F1 analysis and commentary endpoints (docs/motorsport.md "Analysis and commentary"), typed here
// like ./api.ts since the generated schema does not describe them yet.
import { api, call } from "../../api/client";

type Params = { path?: Record<string, string>; query?: Record<string, string | number | boolean | undefined> };
interface LooseClient {
  GET(path: string, init?: { params?: Params }): Promise<{ data?: unknown; error?: unknown; response: Response }>;
}
const client = api as unknown as LooseClient;
const SESSION = "/api/v1/f1/sessions/{session_id}";

export interface DriverInfo { number: string; tla: string | null; name: string | null; team: string | null; team_colour: string | null }
export interface Series { driver: string; laps: number[] }
export interface LapSeries extends Series { lap_times: (number | null)[]; pit: boolean[]; neutralised: boolean[]; clean: boolean[] }
export interface PositionSeries extends Series { positions: (number | null)[] }
export interface GapSeries extends Series { gaps: number[] }
export interface Stint {
  driver: string; stint: number; compound: string | null; lap_start: number; lap_end: number; laps: number; clean_laps: number;
  slope: number | null; ci_low: number | null; ci_high: number | null; raw_slope: number | null; median_lap: number | null;
}
export interface Pace { driver: string; clean_laps: number; excluded_laps: number; median: number; mean: number; best: number; delta_to_fastest: number }
export interface PitLoss { driver: string; stop: number; lap: number; pit_lane_time: number | null; time_lost: number | null; neutralised: boolean }
export interface Undercut {
  attacker: string; defender: string; attacker_pit_lap: number; defender_pit_lap: number; gap_before: number; gap_after: number;
  result: "undercut" | "overcut";
}
export interface SectorRow { driver: string; sector_1: number | null; sector_2: number | null; sector_3: number | null; ideal_lap: number | null; best_lap: number | null }
export interface Analysis {
  drivers: DriverInfo[]; fuel_s_per_lap: number; laps: LapSeries[]; positions: PositionSeries[]; gaps: GapSeries[];
  sectors: SectorRow[]; pace: Pace[]; stints: Stint[]; pit_loss: PitLoss[]; undercuts: Undercut[];
}
export interface CommentaryLine {
  id: string; kind: string; t: number; lap: number | null; drivers: string[]; text: string; template: string;
  data: Record<string, unknown>; source: { table: string; rows: Record<string, unknown>[] }; highlight: boolean; phrased_by: string;
}

export const getAnalysis = async (sessionId: string) =>
  (await call(client.GET(`${SESSION}/analysis`, { params: { path: { session_id: sessionId } } }))) as Analysis;

export const getCommentary = async (sessionId: string, query: { style: string; favourites: string; phrase: boolean }) =>
  (await call(client.GET(`${SESSION}/commentary`, { params: { path: { session_id: sessionId }, query } }))) as {
    items: CommentaryLine[]; llm: boolean; t: number | null;
  };

export interface TelemetryLap { lap: number; samples: number; start_t: number; lap_time: number | null; top_speed: number; distance: number }
export interface TelemetryCompare {
  lap_a: number; lap_b: number; distance: number[]; speed_a: number[]; speed_b: number[]; delta: number[];
  lap_time_a: number | null; lap_time_b: number | null;
}
export interface TrackMap { lap: number; colour_by: string; x: number[]; y: number[]; value: number[] }

const TELEMETRY = "/api/v1/orgs/{org_id}/f1/telemetry/{file_id}";
const telemetry = async <T>(orgId: string, fileId: string, query: Record<string, string | number>) =>
  (await call(client.GET(TELEMETRY, { params: { path: { org_id: orgId, file_id: fileId }, query } }))) as T;

export const getTelemetryLaps = (orgId: string, fileId: string) =>
  telemetry<{ items: TelemetryLap[] }>(orgId, fileId, { view: "laps" });
export const compareTelemetryLaps = (orgId: string, fileId: string, lap: number, lapB: number) =>
  telemetry<TelemetryCompare>(orgId, fileId, { view: "compare", lap, lap_b: lapB });
export const getTrackMap = (orgId: string, fileId: string, lap: number, colourBy: string) =>
  telemetry<TrackMap>(orgId, fileId, { view: "map", lap, colour_by: colourBy });
export const listCsvFiles = async (orgId: string) => {
  const page = (await call(client.GET("/api/v1/orgs/{org_id}/files", { params: { path: { org_id: orgId }, query: { limit: 100 } } }))) as {
    items: { id: string; filename: string; status: string }[];
  };
  return page.items.filter((f) => f.status === "ready" && f.filename.toLowerCase().endsWith(".csv"));
};
