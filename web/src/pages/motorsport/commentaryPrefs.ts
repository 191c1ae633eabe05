// Per-user commentary preferences (style, favourite drivers, broadcast delay), kept in this
// browser, and the delay rule: a line shows once it has been known for `delayS` seconds, so
// the feed can be lined up with a TV broadcast that runs behind the live timing.
export interface CommentaryPrefs { style: "casual" | "technical"; favourites: string[]; delayS: number; phrase: boolean }

export const DEFAULT_PREFS: CommentaryPrefs = { style: "casual", favourites: [], delayS: 0, phrase: false };
const KEY = "sideline.f1.commentary";

export function loadPrefs(storage: Pick<Storage, "getItem"> = localStorage): CommentaryPrefs {
  try {
    const raw = JSON.parse(storage.getItem(KEY) ?? "{}") as Partial<CommentaryPrefs>;
    return {
      style: raw.style === "technical" ? "technical" : "casual",
      favourites: Array.isArray(raw.favourites) ? raw.favourites.filter((f) => typeof f === "string") : [],
      delayS: typeof raw.delayS === "number" && raw.delayS >= 0 && raw.delayS <= 300 ? raw.delayS : 0,
      phrase: raw.phrase === true,
    };
  } catch {
    return DEFAULT_PREFS;
  }
}

export function savePrefs(prefs: CommentaryPrefs, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(KEY, JSON.stringify(prefs));
}

/** Lines first seen at least `delayS` seconds before `nowMs`, newest first. */
export function visibleLines<T extends { id: string }>(lines: T[], firstSeenMs: Map<string, number>, nowMs: number, delayS: number): T[] {
  return lines.filter((line) => nowMs - (firstSeenMs.get(line.id) ?? nowMs) >= delayS * 1000).reverse();
}
