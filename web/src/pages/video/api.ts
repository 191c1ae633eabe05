// The video endpoints through the app's authenticated client. The generated schema does not
// describe them yet (regenerate with `npm run gen:openapi && npm run gen:api`), so the client
// is used through a loosely typed view and the responses are typed here by hand.
import { api, call } from "../../api/client";
import type { Job } from "../../api/types";
import type { Page } from "../../lib/usePagedList";

type Params = { path?: Record<string, string>; query?: Record<string, string | number | undefined> };
interface Init {
  params?: Params;
  body?: unknown;
  parseAs?: "json" | "blob";
}
type Result = Promise<{ data?: unknown; error?: unknown; response: Response }>;
interface LooseClient {
  GET(path: string, init?: Init): Result;
  POST(path: string, init?: Init): Result;
  PUT(path: string, init?: Init): Result;
  PATCH(path: string, init?: Init): Result;
  DELETE(path: string, init?: Init): Result;
}
const client = api as unknown as LooseClient;

export type VideoStatus = "queued" | "running" | "ready" | "failed" | "needs_calibration";
export type Side = "home" | "away" | "other";
export type TrackRole = "player" | "goalkeeper" | "official";

export interface VideoSummary {
  id: string;
  name: string;
  filename: string | null;
  status: VideoStatus;
  width: number | null;
  height: number | null;
  fps: number | null;
  duration_s: number | null;
  created_at: string;
}

export interface Stage {
  name: string;
  status: "pending" | "running" | "done" | "failed" | "skipped";
  message: string | null;
  error: string | null;
}

export type CameraMode = "auto" | "fixed" | "panning";

export interface Keyframe {
  frame: number;
  image_points: [number, number][];
  pitch_points: [number, number][];
  residuals_m: number[];
}

/** What the project stage found: one homography (fixed) or propagated ones (panning). */
export interface CalibrationSummary {
  mode: "fixed" | "panning";
  frames: number;
  reliable_frames: number;
  unreliable_spans: [number, number, string][]; // t start, t end, reason
  cuts: number[];
  closure_m: Record<string, number>;
  max_drift_m: number;
}

export interface Calibration {
  keyframes: Keyframe[];
  camera: CameraMode;
  summary: CalibrationSummary | null;
}

export interface VideoDetail extends VideoSummary {
  frames_analysed: number | null;
  stages: Stage[];
  job: Job | null;
  source_file_id: string | null;
  annotated_file_id: string | null;
  match_id: string | null;
  calibration: Calibration | null;
  teams: Partial<Record<"home" | "away", { name?: string; colour?: string }>>;
  warnings: string[];
  params: Record<string, unknown>;
}

export interface Track {
  track_id: number;
  team: Side;
  role: TrackRole;
  name: string | null;
  athlete_id: string | null;
  merged_into: number | null;
  rows: number;
  first_t: number;
  last_t: number;
  colour: string;
}

export interface TrackPatch {
  name?: string | null;
  team?: Side;
  role?: TrackRole;
  athlete_id?: string | null;
  merge_into?: number | null;
}

export interface Boxes {
  boxes: [number, number, number, number, number, number, number][]; // t, frame, track_id, x0, y0, x1, y1
  ball: [number, number, number][]; // t, x, y
}

const ORG = "/api/v1/orgs/{org_id}";
const VIDEO = `${ORG}/videos/{video_id}`;
const at = (orgId: string, videoId: string) => ({ org_id: orgId, video_id: videoId });

export const listVideos = (orgId: string, limit: number, offset: number) =>
  call(client.GET(`${ORG}/videos`, { params: { path: { org_id: orgId }, query: { limit, offset } } })) as Promise<Page<VideoSummary>>;

export interface DetectorOption {
  value: string;
  label: string;
  available: boolean;
  note: string | null;
}

// Built-in detectors with whether this server can run them, plus the organisation's uploaded .onnx models.
export const listDetectors = (orgId: string) =>
  call(client.GET(`${ORG}/video-detectors`, { params: { path: { org_id: orgId } } })) as Promise<DetectorOption[]>;

export const createVideo = (orgId: string, body: { file_id: string; name?: string; detector?: string; max_frames?: number; camera?: CameraMode }) =>
  call(client.POST(`${ORG}/videos`, { params: { path: { org_id: orgId } }, body })) as Promise<VideoDetail>;

export const getVideo = (orgId: string, videoId: string) =>
  call(client.GET(VIDEO, { params: { path: at(orgId, videoId) } })) as Promise<VideoDetail>;

export const deleteVideo = (orgId: string, videoId: string) =>
  call(client.DELETE(VIDEO, { params: { path: at(orgId, videoId) } })).then(() => undefined);

const start = (orgId: string, videoId: string, action: "retry" | "render" | "match") =>
  call(client.POST(`${VIDEO}/${action}`, { params: { path: at(orgId, videoId) } })) as Promise<Job>;
export const retryVideo = (orgId: string, videoId: string) => start(orgId, videoId, "retry");
export const renderVideo = (orgId: string, videoId: string) => start(orgId, videoId, "render");
export const makeMatch = (orgId: string, videoId: string) => start(orgId, videoId, "match");

export const putCalibration = (orgId: string, videoId: string, body: { image_points: number[][]; pitch_points: number[][]; frame: number; camera?: CameraMode }) =>
  call(client.PUT(`${VIDEO}/calibration`, { params: { path: at(orgId, videoId) }, body })) as Promise<{ residuals_m: number[]; keyframes: Keyframe[]; job: Job }>;

export const deleteKeyframe = (orgId: string, videoId: string, frame: number) =>
  call(client.DELETE(`${VIDEO}/calibration/keyframes/{frame}`, { params: { path: { ...at(orgId, videoId), frame: String(frame) } } })) as Promise<Job>;

export interface PoseRequest {
  id: string;
  track_id: number;
  t0: number;
  t1: number;
  backend: "blazepose" | "movenet";
  status: "queued" | "running" | "done" | "failed";
  error: string | null;
  frames: number | null;
  job_id: string | null;
}

export interface PoseResult extends PoseRequest {
  keypoint_names: string[];
  skeleton: [number, number][];
  rows: [number, number, number, ([number, number, number] | null)[] | null][]; // t, frame, score, keypoints (x, y, visibility)
}

export const requestPose = (orgId: string, videoId: string, body: { track_id: number; t0: number; t1: number; backend?: "blazepose" | "movenet" }) =>
  call(client.POST(`${VIDEO}/poses`, { params: { path: at(orgId, videoId) }, body })) as Promise<PoseRequest>;

export const getPose = (orgId: string, videoId: string, poseId: string) =>
  call(client.GET(`${VIDEO}/poses/{pose_id}`, { params: { path: { ...at(orgId, videoId), pose_id: poseId } } })) as Promise<PoseResult>;

export const listTracks = (orgId: string, videoId: string) =>
  call(client.GET(`${VIDEO}/tracks`, { params: { path: at(orgId, videoId) } })) as Promise<Track[]>;

export const patchTrack = (orgId: string, videoId: string, trackId: number, body: TrackPatch) =>
  call(client.PATCH(`${VIDEO}/tracks/{track_id}`, { params: { path: { ...at(orgId, videoId), track_id: String(trackId) } }, body })) as Promise<Track>;

export const getBoxes = (orgId: string, videoId: string, t0: number, t1: number) =>
  call(client.GET(`${VIDEO}/boxes`, { params: { path: at(orgId, videoId), query: { t0, t1 } } })) as Promise<Boxes>;

export const getFrameImage = (orgId: string, videoId: string, index: number) =>
  call(client.GET(`${VIDEO}/frame`, { params: { path: at(orgId, videoId), query: { index } }, parseAs: "blob" })) as Promise<Blob>;

export const downloadTracking = (orgId: string, videoId: string, data: "boxes" | "positions", format: "csv" | "parquet") =>
  call(client.GET(`${VIDEO}/tracking`, { params: { path: at(orgId, videoId), query: { data, format } }, parseAs: "blob" })) as Promise<Blob>;

export const downloadFile = (orgId: string, fileId: string) =>
  call(client.GET(`${ORG}/files/{file_id}/content`, { params: { path: { org_id: orgId, file_id: fileId } }, parseAs: "blob" })) as Promise<Blob>;
