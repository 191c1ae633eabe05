// The F1 endpoints (docs/motorsport.md "Live timing") through the app's authenticated client.
// The generated schema does not describe them yet: a loosely typed view, responses typed here.
import { api, call } from "../../api/client";
import type { Job } from "../../api/types";
import type { Page } from "../../lib/usePagedList";
import type { RaceControlMessage, Snapshot } from "./timing";

export interface ReplayState {
  state: string; // none, queued, running, paused, finished, stopped
  job_id: string | null;
  organisation_id: string | null;
  speed: number | null;
  paused: boolean;
}

export interface SessionSummary {
  id: string;
  name: string;
  year: number | null;
  round: number | null;
  session_type: string | null;
  meeting: string | null;
  circuit: string | null;
  starts_at: string | null;
  channel: string;
  replay: ReplayState;
  has_results: boolean;
}

type Params = { path?: Record<string, string>; query?: Record<string, string | number | undefined> };
type Result = Promise<{ data?: unknown; error?: unknown; response: Response }>;
interface LooseClient {
  GET(path: string, init?: { params?: Params }): Result;
  POST(path: string, init?: { params?: Params; body?: unknown }): Result;
  PATCH(path: string, init?: { params?: Params; body?: unknown }): Result;
  DELETE(path: string, init?: { params?: Params }): Result;
}
const client = api as unknown as LooseClient;
const SESSION = "/api/v1/f1/sessions/{session_id}";
const ORG_SESSION = "/api/v1/orgs/{org_id}/f1/sessions/{session_id}";

async function get<T>(path: string, params: Params): Promise<T> {
  return (await call(client.GET(path, { params }))) as T;
}

export const listSessions = (limit: number, offset: number) =>
  get<Page<SessionSummary>>("/api/v1/f1/sessions", { query: { limit, offset } });

export const getSession = (sessionId: string) => get<SessionSummary>(SESSION, { path: { session_id: sessionId } });

export const getSnapshot = (sessionId: string) => get<Snapshot>(`${SESSION}/snapshot`, { path: { session_id: sessionId } });

export const getRaceControl = (sessionId: string) =>
  get<{ items: RaceControlMessage[] }>(`${SESSION}/race-control`, { path: { session_id: sessionId } });

export const startImport = async (orgId: string, files: string[], name?: string) =>
  (await call(client.POST("/api/v1/orgs/{org_id}/f1/sessions/import", { params: { path: { org_id: orgId } }, body: { files, name } }))) as Job;

export const startReplay = async (orgId: string, sessionId: string, speed: number | null) =>
  (await call(client.POST(`${ORG_SESSION}/replay`, { params: { path: { org_id: orgId, session_id: sessionId } }, body: { speed } }))) as Job;

export const changeReplay = async (orgId: string, sessionId: string, change: { speed?: number | null; paused?: boolean }) =>
  (await call(client.PATCH(`${ORG_SESSION}/replay`, { params: { path: { org_id: orgId, session_id: sessionId } }, body: change }))) as ReplayState;

export const stopReplay = async (orgId: string, sessionId: string) =>
  (await call(client.DELETE(`${ORG_SESSION}/replay`, { params: { path: { org_id: orgId, session_id: sessionId } } }))) as Job;
