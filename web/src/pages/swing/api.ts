// The swing endpoints through the app's authenticated client. The client is used through a loosely
// typed view (as for football) and most answers are typed by hand here; the tennis parts come from
// the generated schema (by operation, so renamed models keep working).
import { api, call } from "../../api/client";
import type { paths } from "../../api/schema";
import type { Job } from "../../api/types";
import type { Units } from "../../lib/units";
import type { Page } from "../../lib/usePagedList";

type SwingGet = paths["/api/v1/orgs/{org_id}/swings/{swing_id}"]["get"]["responses"][200]["content"]["application/json"];
export type TennisOut = NonNullable<SwingGet["tennis"]>;
export type StrokeOut = TennisOut["strokes"][number];

export interface Tempo { backswing_s: number; downswing_s: number; ratio: number | null }
export interface SwingSummary {
  id: string; name: string; athlete_id: string | null; sport: string; club: string | null;
  handedness: string; view: string; tempo: Partial<Tempo>; strokes?: Record<string, number> | null;
  video_file_id: string | null; created_at: string;
}
export interface Cue {
  code: string; metric: string; value: number; reference: number; unit: string; frame: number;
  time_s: number; severity: "fix" | "keep"; message: string;
}
export interface SwingEventOut { frame: number; time_s: number; confidence?: number }
export interface SwingMetrics {
  tempo: Partial<Tempo>;
  angles: Record<string, Record<string, number | null>>;
  head_sway: { max: number | null; frame: number | null };
  events: Record<string, SwingEventOut>;
}
export interface SwingDetail extends SwingSummary {
  source_file_id: string | null; playback_speed: number; junior: boolean; metrics: SwingMetrics; cues: Cue[];
  /** The units the cue texts are worded in (the other figures are SI). */
  units: Units;
  video: { file_id?: string; frames?: number; fps?: number; width?: number; height?: number };
  pose: Record<string, unknown>;
  tennis?: TennisOut | null;
}
export interface PhaseOut {
  name: string; athlete_frames: number[]; reference_frames: number[]; athlete_duration_s: number;
  reference_duration_s: number; similarity: number; mean_differences: Record<string, number | null>;
}
export interface Comparison {
  athlete_id: string; reference_id: string; similarity: number; mean_cost: number; angles: string[];
  phases: PhaseOut[];
  at_events: { event: string; angle: string; athlete: number | null; reference: number | null; difference: number | null; athlete_frame: number; reference_frame: number }[];
  frame_map: [number, number][];
  cues: Cue[];
  units: Units;
}
export interface Neighbour { swing: SwingSummary; distance: number }
export interface ProgressPoint {
  swing_id: string; name: string; created_at: string; club: string | null; view: string; tempo_ratio: number | null;
  backswing_s: number | null; downswing_s: number | null; angles: Record<string, Record<string, number | null>>; cues: number;
}
export interface AnalyseRequest {
  file_id: string; athlete_id?: string; sport?: "golf" | "tennis"; club?: string; handedness?: string; playback_speed?: number;
  model?: string; name?: string; athlete?: "auto" | "near" | "far"; athlete_height_m?: number;
}

type Params = { path?: Record<string, string>; query?: Record<string, string | number | undefined> };
type Result = Promise<{ data?: unknown; error?: unknown; response: Response }>;
interface LooseClient {
  GET(path: string, init?: { params?: Params; parseAs?: "json" | "blob"; signal?: AbortSignal }): Result;
  POST(path: string, init?: { params?: Params; body?: unknown }): Result;
  DELETE(path: string, init?: { params?: Params }): Result;
}
const client = api as unknown as LooseClient;
const SWING = "/api/v1/orgs/{org_id}/swings/{swing_id}";
const get = async <T>(path: string, params: Params): Promise<T> => (await call(client.GET(path, { params }))) as T;

export const listSwings = (orgId: string, limit: number, offset: number, athleteId?: string) =>
  get<Page<SwingSummary>>("/api/v1/orgs/{org_id}/swings", { path: { org_id: orgId }, query: { limit, offset, athlete_id: athleteId } });

export const startAnalysis = (orgId: string, body: AnalyseRequest) =>
  call(client.POST("/api/v1/orgs/{org_id}/swings/analyse", { params: { path: { org_id: orgId } }, body })) as Promise<Job>;

/** ``units`` words the cues; left out, the server uses the user's display preference. */
export const getSwing = (orgId: string, swingId: string, units?: Units) =>
  get<SwingDetail>(SWING, { path: { org_id: orgId, swing_id: swingId }, query: { units } });

export const deleteSwing = (orgId: string, swingId: string) =>
  call(client.DELETE(SWING, { params: { path: { org_id: orgId, swing_id: swingId } } })).then(() => undefined);

export const compareSwings = (orgId: string, swingId: string, referenceId: string, units?: Units) =>
  get<Comparison>(`${SWING}/compare`, { path: { org_id: orgId, swing_id: swingId }, query: { reference_id: referenceId, units } });

export const nearestSwings = (orgId: string, swingId: string, k = 5) =>
  get<Neighbour[]>(`${SWING}/nearest`, { path: { org_id: orgId, swing_id: swingId }, query: { k } });

export const swingProgress = (orgId: string, athleteId: string) =>
  get<ProgressPoint[]>("/api/v1/orgs/{org_id}/athletes/{athlete_id}/swing-progress", { path: { org_id: orgId, athlete_id: athleteId } });

/** The annotated MP4 as a blob (the files API needs the bearer token, so no plain <video src>). */
export const fetchVideo = async (orgId: string, fileId: string, signal?: AbortSignal) =>
  (await call(client.GET("/api/v1/orgs/{org_id}/files/{file_id}/content", {
    params: { path: { org_id: orgId, file_id: fileId } }, parseAs: "blob", signal,
  }))) as Blob;

export const EVENT_LABELS: Record<string, string> = {
  address: "Address", toe_up: "Toe-up", mid_backswing: "Mid-backswing", top: "Top", mid_downswing: "Mid-downswing",
  impact: "Impact", mid_follow_through: "Mid-follow-through", finish: "Finish",
};
export const ANGLE_LABELS: Record<string, string> = {
  spine_tilt: "Spine angle (°)", lead_arm: "Lead arm (°)", lead_knee_flex: "Lead knee flex (°)",
  trail_knee_flex: "Trail knee flex (°)", hand_height: "Hand height (torso)",
};
export const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits));
export const STROKE_LABELS: Record<string, string> = { forehand: "Forehand", backhand: "Backhand", serve: "Serve", volley: "Volley" };
/** "2 forehands, 1 serve" from the per-type counts (types with none left out). */
export const strokeSummary = (counts: Record<string, number> | null | undefined) => {
  const parts = Object.entries(counts ?? {}).filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${kind}${n === 1 ? "" : "s"}`);
  return parts.length ? parts.join(", ") : "no strokes";
};
