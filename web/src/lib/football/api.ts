// The football endpoints, through the app's authenticated openapi-fetch client (bearer token,
// one refresh-and-retry on 401). The generated schema does not describe them yet, so the client
// is used through a loosely typed view and the responses are typed by hand (./types.ts).
import { api, call } from "../../api/client";
import type { Job } from "../../api/types";
import { filenameFromDisposition } from "../download";
import type {
  Clip,
  ClipInput,
  ImportRequest,
  MatchDetail,
  MatchEvent,
  MatchSummary,
  Moment,
  PhysicalGrouping,
  PhysicalTable,
  PitchControl,
  PlayerReport,
  Provider,
  TeamStats,
} from "./types";
import type { Page } from "../usePagedList";

type Params = { path?: Record<string, string>; query?: Record<string, string | number | undefined> };
interface Init {
  params?: Params;
  body?: unknown;
  parseAs?: "json" | "arrayBuffer" | "blob";
  signal?: AbortSignal;
}
type Result = Promise<{ data?: unknown; error?: unknown; response: Response }>;
interface LooseClient {
  GET(path: string, init?: Init): Result;
  POST(path: string, init?: Init): Result;
  DELETE(path: string, init?: Init): Result;
}
const client = api as unknown as LooseClient;

const MATCH = "/api/v1/orgs/{org_id}/matches/{match_id}";
const matchPath = (orgId: string, matchId: string) => ({ org_id: orgId, match_id: matchId });

async function get<T>(path: string, params: Params, signal?: AbortSignal): Promise<T> {
  return (await call(client.GET(path, { params, signal }))) as T;
}

export const listProviders = () => get<Provider[]>("/api/v1/football/providers", {});

export const listMatches = (orgId: string, limit: number, offset: number) =>
  get<Page<MatchSummary>>("/api/v1/orgs/{org_id}/matches", { path: { org_id: orgId }, query: { limit, offset } });

export const startImport = (orgId: string, body: ImportRequest) =>
  call(client.POST("/api/v1/orgs/{org_id}/matches/import", { params: { path: { org_id: orgId } }, body })) as Promise<Job>;

export const getMatch = (orgId: string, matchId: string) => get<MatchDetail>(MATCH, { path: matchPath(orgId, matchId) });

export const deleteMatch = (orgId: string, matchId: string) =>
  call(client.DELETE(MATCH, { params: { path: matchPath(orgId, matchId) } })).then(() => undefined);

/** The raw SLF1 frames between t0 and t1 (timeline seconds, at most 60 s); see ./frames.ts. */
export async function fetchFrames(orgId: string, matchId: string, t0: number, t1: number, signal?: AbortSignal): Promise<ArrayBuffer> {
  const request = client.GET(`${MATCH}/frames`, {
    params: { path: matchPath(orgId, matchId), query: { t0, t1 } },
    parseAs: "arrayBuffer",
    signal,
  });
  return (await call(request)) as ArrayBuffer;
}

export const getEvents = (orgId: string, matchId: string) =>
  get<{ items: MatchEvent[] }>(`${MATCH}/events`, { path: matchPath(orgId, matchId) }).then((r) => r.items);

export const getPhysical = (orgId: string, matchId: string, by: PhysicalGrouping) =>
  get<PhysicalTable>(`${MATCH}/physical`, { path: matchPath(orgId, matchId), query: { by } });

/** The physical table as a file (CSV or Parquet), with the server's file name. */
export async function downloadPhysical(orgId: string, matchId: string, by: PhysicalGrouping, format: "csv" | "parquet") {
  const { data, error, response } = await client.GET(`${MATCH}/physical`, {
    params: { path: matchPath(orgId, matchId), query: { by, format } },
    parseAs: "blob",
  });
  const blob = (await call(Promise.resolve({ data, error, response }))) as Blob;
  const name = filenameFromDisposition(response.headers.get("Content-Disposition")) ?? `physical-${by}.${format}`;
  return { blob, name };
}

export const getTeamStats = (orgId: string, matchId: string) => get<TeamStats>(`${MATCH}/team-stats`, { path: matchPath(orgId, matchId) });

export const getPlayerReport = (orgId: string, matchId: string, playerId: string) =>
  get<PlayerReport>(`${MATCH}/players/{player_id}`, { path: { ...matchPath(orgId, matchId), player_id: playerId } });

export const getPitchControl = (orgId: string, matchId: string, t: number, signal?: AbortSignal) =>
  get<PitchControl>(`${MATCH}/pitch-control`, { path: matchPath(orgId, matchId), query: { t: Number(t.toFixed(2)) } }, signal);

export const getMoments = (orgId: string, matchId: string) =>
  get<{ items: Moment[] }>(`${MATCH}/moments`, { path: matchPath(orgId, matchId) }).then((r) => r.items);

/** Clips come back as a page `{items}` or as a bare list: accept both. */
export const listClips = (orgId: string, matchId: string) =>
  get<{ items: Clip[] } | Clip[]>(`${MATCH}/clips`, { path: matchPath(orgId, matchId) }).then((r) => (Array.isArray(r) ? r : r.items));

export const createClip = (orgId: string, matchId: string, body: ClipInput) =>
  call(client.POST(`${MATCH}/clips`, { params: { path: matchPath(orgId, matchId) }, body })) as Promise<Clip>;

const clipPath = (orgId: string, matchId: string, clipId: string) => ({ ...matchPath(orgId, matchId), clip_id: clipId });

export const renderClip = (orgId: string, matchId: string, clipId: string) =>
  call(client.POST(`${MATCH}/clips/{clip_id}/render`, { params: { path: clipPath(orgId, matchId, clipId) } })) as Promise<Job>;

export const deleteClip = (orgId: string, matchId: string, clipId: string) =>
  call(client.DELETE(`${MATCH}/clips/{clip_id}`, { params: { path: clipPath(orgId, matchId, clipId) } })).then(() => undefined);

/** A stored file's bytes (the rendered MP4 of a clip) through the files API. */
export const downloadFile = (orgId: string, fileId: string) =>
  call(client.GET("/api/v1/orgs/{org_id}/files/{file_id}/content", { params: { path: { org_id: orgId, file_id: fileId } }, parseAs: "blob" })) as Promise<Blob>;
