import { describe, expect, it } from "vitest";
import { DEFAULT_PREFS, loadPrefs, savePrefs, visibleLines } from "./commentaryPrefs";

function memory() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe("commentary preferences", () => {
  it("round-trips and rejects bad values", () => {
    const storage = memory();
    expect(loadPrefs(storage)).toEqual(DEFAULT_PREFS);
    savePrefs({ style: "technical", favourites: ["44"], delayS: 30, phrase: true }, storage);
    expect(loadPrefs(storage)).toEqual({ style: "technical", favourites: ["44"], delayS: 30, phrase: true });
    storage.setItem("sideline.f1.commentary", JSON.stringify({ style: "shouty", delayS: -4, favourites: "44" }));
    expect(loadPrefs(storage)).toEqual(DEFAULT_PREFS);
    storage.setItem("sideline.f1.commentary", "{not json");
    expect(loadPrefs(storage)).toEqual(DEFAULT_PREFS);
  });

  it("holds lines back by the broadcast delay", () => {
    const lines = [{ id: "a" }, { id: "b" }, { id: "c" }];
    const seen = new Map([["a", 0], ["b", 5_000], ["c", 9_000]]);
    expect(visibleLines(lines, seen, 10_000, 0).map((l) => l.id)).toEqual(["c", "b", "a"]);
    expect(visibleLines(lines, seen, 10_000, 5).map((l) => l.id)).toEqual(["b", "a"]);
    expect(visibleLines(lines, seen, 10_000, 20)).toEqual([]);
  });
});
