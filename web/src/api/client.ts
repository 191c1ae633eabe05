// The typed API client: openapi-fetch over the paths generated from the server's OpenAPI document.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { secondsLeft, tokenStore } from "./auth";
import type { ErrorBody } from "./types";

/** Same-origin: the server serves this app and the API (`npm run dev` proxies /api). */
const baseUrl = "";

/** Without the auth middleware: used for login and refresh themselves. */
const bare = createClient<paths>({ baseUrl });

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly requestId: string | null;

  constructor(status: number, code: string, message: string, details?: unknown, requestId?: string | null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId ?? null;
  }

  static from(response: Response, body: unknown): ApiError {
    const err = (body as Partial<ErrorBody> | null)?.error;
    if (err && typeof err.message === "string") {
      return new ApiError(response.status, err.code ?? "error", err.message, err.details, err.request_id);
    }
    const text = typeof body === "string" && body.trim() && body.length < 300 ? body.trim() : response.statusText;
    return new ApiError(response.status, "http_" + response.status, text || `Request failed (HTTP ${response.status})`);
  }
}

/** A message fit for an alert, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "Cannot reach the server. Check your connection and try again.";
  if (error instanceof Error) return error.message;
  return String(error);
}

// --- token refresh ------------------------------------------------------------------------------

let refreshing: Promise<boolean> | null = null;

async function doRefresh(): Promise<boolean> {
  const tokens = tokenStore.get();
  if (!tokens) return false;
  let result;
  try {
    result = await bare.POST("/api/v1/auth/refresh", { body: { refresh_token: tokens.refresh } });
  } catch {
    return false; // offline: keep the session, the caller gets its 401
  }
  if (result.data) {
    tokenStore.set({ access: result.data.access_token, refresh: result.data.refresh_token });
    return true;
  }
  if (result.response.status < 500 && tokenStore.get()?.refresh === tokens.refresh) {
    tokenStore.clear("Your session has expired. Please log in again.");
  }
  return false;
}

/** Trade the refresh token for a new pair; concurrent callers share one request. */
export function refreshTokens(): Promise<boolean> {
  refreshing ??= doRefresh().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** An access token that is valid for at least `margin` more seconds (refreshing it if need be). */
export async function freshAccessToken(margin = 30): Promise<string | null> {
  const tokens = tokenStore.get();
  if (!tokens) return null;
  const left = secondsLeft(tokens.access);
  if (left !== null && left < margin) await refreshTokens();
  return tokenStore.get()?.access ?? null;
}

// --- the middleware: bearer token, one refresh-and-retry on 401, else log out ---------------------

const isAuthEndpoint = (schemaPath: string) => schemaPath.startsWith("/api/v1/auth/");
const retryCopies = new Map<string, Request>();

const authMiddleware: Middleware = {
  onRequest({ request, schemaPath, id }) {
    if (isAuthEndpoint(schemaPath)) return undefined;
    const tokens = tokenStore.get();
    if (tokens) request.headers.set("Authorization", `Bearer ${tokens.access}`);
    retryCopies.set(id, request.clone()); // the body of `request` is consumed by fetch
    return request;
  },
  async onResponse({ response, schemaPath, id, options }) {
    const copy = retryCopies.get(id);
    retryCopies.delete(id);
    if (response.status !== 401 || !copy || isAuthEndpoint(schemaPath)) return undefined;
    const used = copy.headers.get("Authorization");
    const now = tokenStore.get();
    // Another request may already have refreshed the tokens while this one was in flight.
    const refreshed = now && used !== `Bearer ${now.access}` ? true : await refreshTokens();
    const tokens = tokenStore.get();
    if (!refreshed || !tokens) {
      if (tokenStore.get()) tokenStore.clear("Your session has expired. Please log in again.");
      return undefined;
    }
    copy.headers.set("Authorization", `Bearer ${tokens.access}`);
    const retried = await options.fetch(copy);
    if (retried.status === 401) tokenStore.clear("Your session has expired. Please log in again.");
    return retried;
  },
  onError({ id }) {
    retryCopies.delete(id);
    return undefined;
  },
};

export const api = createClient<paths>({ baseUrl });
api.use(authMiddleware);

/** Await an openapi-fetch call: its data, or an ApiError carrying the server's error message. */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await request;
  if (!response.ok || error !== undefined) throw ApiError.from(response, error);
  return data as T;
}

/** Log in with email and password; stores the tokens. Throws ApiError (e.g. 401) on failure. */
export async function login(email: string, password: string): Promise<void> {
  const data = await call(bare.POST("/api/v1/auth/login", { body: { email, password } }));
  tokenStore.set({ access: data.access_token, refresh: data.refresh_token });
}

/** Sign out here and void the refresh tokens on the server (every session of this user). */
export function logout(): void {
  const tokens = tokenStore.get();
  tokenStore.clear();
  if (tokens) {
    // Best effort: the local sign-out must not wait for, or fail with, the network.
    void bare.POST("/api/v1/auth/logout", { body: { refresh_token: tokens.refresh } }).catch(() => undefined);
  }
}
