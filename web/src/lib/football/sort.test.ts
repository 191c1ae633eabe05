import { describe, expect, it } from "vitest";
import { nextSort, sortRows } from "./sort";
import { formatValue, labelFor } from "./labels";
import { linePath } from "./chart";
import { advance, frameNumber, matchClock, periodAt, skipGaps, timelineSpan } from "./clock";

const rows = [
  { name: "Müller", distance: 10400.5, top: null as number | null },
  { name: "alaba", distance: 9800, top: 31.2 },
  { name: "Lewandowski", distance: NaN, top: 33.9 },
  { name: "Kimmich", distance: 11250, top: 30.1 },
  { name: "Player 10", distance: 9800, top: 29 },
  { name: "Player 9", distance: 9000, top: 28 },
];

describe("sortRows", () => {
  it("sorts numbers numerically both ways, missing values last, ties stable", () => {
    const asc = sortRows(rows, (r) => r.distance, "asc").map((r) => r.name);
    expect(asc).toEqual(["Player 9", "alaba", "Player 10", "Müller", "Kimmich", "Lewandowski"]);
    const desc = sortRows(rows, (r) => r.distance, "desc").map((r) => r.name);
    expect(desc).toEqual(["Kimmich", "Müller", "alaba", "Player 10", "Player 9", "Lewandowski"]);
    expect(sortRows(rows, (r) => r.top, "desc").at(-1)!.name).toBe("Müller");
    expect(sortRows(rows, (r) => r.top, "asc").at(-1)!.name).toBe("Müller");
  });

  it("sorts text case-insensitively with numbers inside names in numeric order", () => {
    expect(sortRows(rows, (r) => r.name, "asc").map((r) => r.name)).toEqual([
      "alaba", "Kimmich", "Lewandowski", "Müller", "Player 9", "Player 10",
    ]);
  });

  it("does not change the input", () => {
    const copy = rows.slice();
    sortRows(rows, (r) => r.distance, "asc");
    expect(rows).toEqual(copy);
  });

  it("flips the direction of the same column, starts numbers high and text low", () => {
    expect(nextSort(null, "distance", true)).toEqual({ key: "distance", direction: "desc" });
    expect(nextSort({ key: "distance", direction: "desc" }, "distance", true)).toEqual({ key: "distance", direction: "asc" });
    expect(nextSort({ key: "distance", direction: "desc" }, "name", false)).toEqual({ key: "name", direction: "asc" });
  });
});

describe("labels", () => {
  it("names server keys readably", () => {
    expect(labelFor("zone_3_m")).toBe("Zone 3 (m)");
    expect(labelFor("top_speed_kmh")).toBe("Top speed (km/h)");
    expect(labelFor("compactness_mean")).toBe("Compactness mean");
    expect(labelFor("peak_speed_ms")).toBe("Peak speed (m/s)");
  });
  it("formats shares as percentages and counts as integers", () => {
    expect(formatValue("possession", 0.573)).toBe("57%");
    expect(formatValue("coverage", 1)).toBe("100%");
    expect(formatValue("sprint_count", 12)).toBe("12");
    expect(formatValue("metabolic_power_wkg", null)).toBe("–");
    expect(formatValue("formation_in_possession", "4-2-3-1")).toBe("4-2-3-1");
  });
});

describe("clock", () => {
  const periods = [
    { period_id: 1, start_s: 0, end_s: 2790 },
    { period_id: 2, start_s: 2790, end_s: 5640 },
  ];
  it("shows the football clock of each period", () => {
    expect(matchClock(periods, 0)).toBe("1H 00:00");
    expect(matchClock(periods, 125.6)).toBe("1H 02:05");
    expect(matchClock(periods, 2789)).toBe("1H 46:29"); // stoppage time runs past 45
    expect(matchClock(periods, 2790 + 61)).toBe("2H 46:01");
    expect(periodAt(periods, 3000)!.period_id).toBe(2);
  });
  it("numbers frames from the frame rate", () => {
    expect(frameNumber(12.3, 10)).toBe(123);
    expect(frameNumber(Math.fround(5551.1), 10)).toBe(55511);
    expect(frameNumber(5, null)).toBe(0);
  });
  it("advances at the playback speed inside the timeline, skipping half time", () => {
    expect(advance(10, 500, 4, 0, 100)).toBe(12);
    expect(advance(99, 1000, 16, 0, 100)).toBe(100);
    expect(timelineSpan(periods, 1)).toEqual([0, 5640]);
    expect(timelineSpan([], 42)).toEqual([0, 42]);
    const withBreak = [{ period_id: 1, start_s: 0, end_s: 100 }, { period_id: 2, start_s: 200, end_s: 300 }];
    expect(skipGaps(withBreak, 150)).toBe(200);
    expect(skipGaps(withBreak, 50)).toBe(50);
  });
});

describe("linePath", () => {
  it("breaks the line at missing samples instead of drawing them as zero", () => {
    const d = linePath([0, 1, 2, 3, 4], [1, 2, null, NaN, 3], (t) => t * 10, (v) => 100 - v);
    expect(d).toBe("M0.0,99.0L10.0,98.0M40.0,97.0");
    expect(linePath([0, 1], [null, null], (t) => t, (v) => v)).toBe("");
  });
});
