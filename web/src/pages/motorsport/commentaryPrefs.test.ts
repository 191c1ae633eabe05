import { describe, expect, it } from "vitest";
import { favouriteLine, favouriteNumbers, loadPhrase, parseFavourites, savePhrase } from "./commentaryPrefs";
import { DelayBuffer } from "./timing";

function memory() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe("motorsport preferences", () => {
  it("parses favourites by number or code and finds their car numbers", () => {
    expect(parseFavourites(" 44, ham;16  44 ")).toEqual(["44", "HAM", "16"]);
    expect(parseFavourites("")).toEqual([]);
    const drivers = [{ number: "44", tla: "HAM" }, { number: "77", tla: "BOT" }, { number: "16", tla: null }];
    expect([...favouriteNumbers(["HAM", "16", "bot"], drivers)].sort()).toEqual(["16", "44", "77"]);
    const lines = [{ id: "a", drivers: ["5"] }, { id: "b", drivers: ["7", "77"] }, { id: "c", drivers: ["44"] }];
    expect(favouriteLine(lines, new Set(["44", "77"]))?.id).toBe("b");
    expect(favouriteLine(lines, new Set(["3"]))).toBeNull();
  });

  it("keeps the LLM switch in the browser", () => {
    const storage = memory();
    expect(loadPhrase(storage)).toBe(false);
    savePhrase(true, storage);
    expect(loadPhrase(storage)).toBe(true);
  });

  it("holds events back by the broadcast delay, in arrival order", () => {
    const buffer = new DelayBuffer<string>();
    buffer.push("a", 0);
    buffer.push("b", 5_000);
    buffer.push("c", 9_000);
    expect(buffer.due(10_000, 20)).toEqual([]);
    expect(buffer.due(10_000, 5)).toEqual(["a", "b"]);
    expect(buffer.size).toBe(1);
    expect(buffer.due(10_000, 0)).toEqual(["c"]);
    expect(buffer.due(10_000, 0)).toEqual([]);
  });
});
