// Kit colours on the pitch: the provider's colours when they are given and tell the teams apart,
// else a fixed, clearly different pair.
import { parseHex } from "./grid";

export const FALLBACK_HOME = "#d7263d";
export const FALLBACK_AWAY = "#2563eb";

const distance = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

export interface TeamColours {
  home: string;
  away: string;
  homeText: string;
  awayText: string;
}

/** Black or white, whichever reads better on `colour`. */
export function textOn(colour: string): string {
  const rgb = parseHex(colour) ?? [0, 0, 0];
  const luminance = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255;
  return luminance > 0.6 ? "#111111" : "#ffffff";
}

export function teamColours(home: string | null | undefined, away: string | null | undefined): TeamColours {
  let h = parseHex(home) ? home!.trim() : FALLBACK_HOME;
  let a = parseHex(away) ? away!.trim() : FALLBACK_AWAY;
  const grass = [47, 107, 58];
  // Too alike (or too close to the grass): fall back to the fixed pair.
  if (distance(parseHex(h)!, parseHex(a)!) < 90) {
    h = FALLBACK_HOME;
    a = FALLBACK_AWAY;
  }
  if (distance(parseHex(h)!, grass) < 60) h = h === FALLBACK_HOME ? "#f59e0b" : FALLBACK_HOME;
  if (distance(parseHex(a)!, grass) < 60) a = a === FALLBACK_AWAY ? "#f8fafc" : FALLBACK_AWAY;
  return { home: h, away: a, homeText: textOn(h), awayText: textOn(a) };
}
