// Motorsport preferences of the signed-in user, stored on the server (`/me/preferences/motorsport`):
// commentary style, favourite drivers (numbers or three-letter codes; highlighted and notified)
// and a broadcast delay (the live page holds updates back by it). The LLM phrasing switch is a
// browser-only setting (it costs a call to the configured endpoint).
import { api, call } from "../../api/client";

export type CommentaryStyle = "casual" | "technical";

export interface MotorsportPrefs {
  commentary_style: CommentaryStyle;
  favourite_drivers: string[];
  broadcast_delay_s: number;
}

export const DEFAULT_PREFS: MotorsportPrefs = { commentary_style: "casual", favourite_drivers: [], broadcast_delay_s: 0 };
export const MAX_DELAY_S = 120;

type Loose = {
  GET(path: string): Promise<{ data?: unknown; error?: unknown; response: Response }>;
  PUT(path: string, init: { body: unknown }): Promise<{ data?: unknown; error?: unknown; response: Response }>;
};
const client = api as unknown as Loose;
const PATH = "/api/v1/me/preferences/motorsport";

export const getPrefs = async () => (await call(client.GET(PATH))) as MotorsportPrefs;
export const putPrefs = async (prefs: MotorsportPrefs) => (await call(client.PUT(PATH, { body: prefs }))) as MotorsportPrefs;

/** "44, ham 16" -> ["44", "HAM", "16"] (the server checks each and answers 422 naming a bad one). */
export function parseFavourites(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\s,;]+/)) {
    const value = part.trim().toUpperCase();
    if (value && !out.includes(value)) out.push(value);
  }
  return out;
}

/** The car numbers of the favourites, which may be numbers or codes (matched against the drivers' codes). */
export function favouriteNumbers(favourites: string[], drivers: { number: string; tla: string | null }[]): Set<string> {
  const byCode = new Map(drivers.filter((d) => d.tla).map((d) => [d.tla!.toUpperCase(), d.number]));
  return new Set(favourites.map((f) => byCode.get(f.toUpperCase()) ?? f));
}

/** The first line (in order) about a favourite driver, for a notification. */
export function favouriteLine<T extends { drivers: string[] }>(lines: T[], favourites: Set<string>): T | null {
  return lines.find((line) => line.drivers.some((d) => favourites.has(d))) ?? null;
}

const PHRASE_KEY = "sideline.f1.phrase";

export function loadPhrase(storage: Pick<Storage, "getItem"> = localStorage): boolean {
  return storage.getItem(PHRASE_KEY) === "true";
}

export function savePhrase(on: boolean, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(PHRASE_KEY, on ? "true" : "false");
}
