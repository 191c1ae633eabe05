import { describe, expect, it } from "vitest";
import { pushedTimeline, winSeries, type WinProbability } from "./WinProbability";

const data: WinProbability = {
  session_id: "s",
  prior: "grid",
  total_laps: 3,
  drivers: [
    { number: "44", tla: "HAM", name: null, team_colour: "#00D2BE" },
    { number: "77", tla: "BOT", name: null, team_colour: null },
    { number: "9", tla: "ERI", name: null, team_colour: null },
  ],
  laps: [
    { lap: 0, probabilities: { "44": 0.5, "77": 0.49, "9": 0.01 } },
    { lap: 1, probabilities: { "44": 0.4, "77": 0.6 } },
    { lap: 2, probabilities: { "44": 1 } },
  ],
};

describe("winSeries", () => {
  it("draws percentages up to the current lap, retired drivers at 0, never-likely drivers left out", () => {
    const series = winSeries(data, 1);
    expect(series.map((s) => s.label)).toEqual(["HAM", "BOT"]);
    expect(series[1].points).toEqual([[0, 49], [1, 60]]);
    expect(series[1].colour).toBe("#888");
    expect(winSeries(data, null)[1].points.at(-1)).toEqual([2, 0]);
  });

  it("draws the pushed points in lap order with the snapshot's drivers", () => {
    const pushed = [
      { lap: 1, prior: "grid", probabilities: { "44": 0.4, "77": 0.6 } },
      { lap: 0, prior: "grid", probabilities: { "44": 0.5, "77": 0.5 } },
    ];
    const timeline = pushedTimeline("s", pushed, data.drivers, 51);
    expect(timeline.laps.map((l) => l.lap)).toEqual([0, 1]);
    expect(timeline.prior).toBe("grid");
    expect(winSeries(timeline, null)[1].points).toEqual([[0, 50], [1, 60]]);
  });
});
