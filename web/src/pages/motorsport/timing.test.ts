import { describe, expect, it } from "vitest";
import { TimingFeed, applyEvent, bestLapMark, formatLapTime, runningOrder, timeMark, type Snapshot } from "./timing";

function snapshot(seq: number): Snapshot {
  return {
    seq,
    t: 0,
    session: { status: "Started", lap: 3, total_laps: 51, track_status: "green", track_message: null, winner: null, chequered: false },
    drivers: {
      "44": { number: "44", tla: "HAM", position: 1, best_lap: 105.4 } as never,
      "5": { number: "5", tla: "VET", position: 2, best_lap: 105.9 } as never,
    },
    race_control: [],
    fastest_lap: null,
    classification: [],
  };
}

const delta = (seq: number, data: Record<string, unknown>) => ({ seq, event: "delta", data: { seq, ...data } });

describe("live timing", () => {
  it("applies driver, session, race control and fastest lap deltas", () => {
    let s = snapshot(10);
    s = applyEvent(s, "delta", { seq: 11, kind: "driver", driver: "5", set: { position: 1 } });
    s = applyEvent(s, "delta", { seq: 12, kind: "driver", driver: "44", set: { position: 2, interval: "+0.404" } });
    s = applyEvent(s, "delta", { seq: 13, kind: "session", set: { lap: 4, track_status: "sc" } });
    s = applyEvent(s, "delta", { seq: 14, kind: "race_control", message: { t: 1, message: "SAFETY CAR DEPLOYED" } });
    s = applyEvent(s, "delta", { seq: 15, kind: "fastest_lap", lap: { driver: "44", lap: 3, lap_time: 105.4 } });
    expect(s.seq).toBe(15);
    expect(runningOrder(s).map((d) => d.tla)).toEqual(["VET", "HAM"]);
    expect(s.drivers["44"].interval).toBe("+0.404");
    expect(s.session).toMatchObject({ lap: 4, track_status: "sc", total_laps: 51 });
    expect(s.race_control.map((m) => m.message)).toEqual(["SAFETY CAR DEPLOYED"]);
    expect(bestLapMark(s.drivers["44"], s.fastest_lap)).toBe("purple");
    expect(bestLapMark(s.drivers["5"], s.fastest_lap)).toBe("");
  });

  it("applies the deltas of one message published as one event, in order", () => {
    let s = snapshot(10);
    s = applyEvent(s, "deltas", {
      seq: 11,
      deltas: [
        { seq: 11, kind: "driver", driver: "44", set: { position: 1 } },
        { seq: 11, kind: "driver", driver: "5", set: { position: 2 } },
        { seq: 11, kind: "session", set: { lap: 7 } },
      ],
    });
    expect(s.seq).toBe(11);
    expect(runningOrder(s).map((d) => d.tla)).toEqual(["HAM", "VET"]);
    expect(s.session.lap).toBe(7);
  });

  it("holds events until the snapshot, skips what it already has, and applies the rest in order", () => {
    const feed = new TimingFeed();
    feed.event(delta(12, { kind: "session", set: { lap: 5 } }));
    feed.event(delta(11, { kind: "session", set: { lap: 4 } }));
    feed.event(delta(10, { kind: "session", set: { lap: 99 } })); // already in the snapshot
    feed.load(snapshot(10));
    expect(feed.needsReload).toBe(false);
    expect(feed.snapshot?.session.lap).toBe(5);
    expect(feed.snapshot?.seq).toBe(12);
    feed.event(delta(12, { kind: "session", set: { lap: 77 } })); // a duplicate
    expect(feed.snapshot?.session.lap).toBe(5);
  });

  it("asks for a reload on a hole or a gap, then catches up", () => {
    const feed = new TimingFeed();
    feed.load(snapshot(10));
    feed.event(delta(13, { kind: "session", set: { lap: 6 } })); // 11 and 12 are missing
    expect(feed.needsReload).toBe(true);
    expect(feed.snapshot?.session.lap).toBe(3);
    feed.load(snapshot(12));
    expect(feed.snapshot?.session.lap).toBe(6);
    feed.gap();
    expect(feed.needsReload).toBe(true);
  });

  it("a replay that starts replaces the state", () => {
    const feed = new TimingFeed();
    feed.load(snapshot(10));
    const fresh = { ...snapshot(0), drivers: {} };
    feed.event({ seq: 40, event: "replay", data: { seq: 40, state: "running", speed: 10, snapshot: fresh } });
    expect(feed.snapshot?.drivers).toEqual({});
    expect(feed.snapshot?.seq).toBe(40);
    expect(feed.snapshot?.replay).toEqual({ state: "running", speed: 10 });
    feed.event(delta(41, { kind: "session", set: { lap: 1 } }));
    expect(feed.snapshot?.session.lap).toBe(1);
  });

  it("appends pushed commentary and win probability in seq order", () => {
    const feed = new TimingFeed();
    feed.load({ ...snapshot(10), commentary: [], win_probability: [] });
    const line = (id: string) => ({ id, kind: "pit_stop", t: 1, lap: 3, drivers: ["44"], text: id, template: "", data: {}, source: { table: "pit_stops", rows: [] } });
    feed.event({ seq: 11, event: "commentary", data: { seq: 11, lap: 3, lines: [line("a"), line("b")] } });
    feed.event({ seq: 12, event: "win_probability", data: { seq: 12, lap: 2, prior: "grid", probabilities: { "44": 0.7, "5": 0.3 } } });
    feed.event({ seq: 13, event: "commentary", data: { seq: 13, lap: 4, lines: [line("c")] } });
    expect(feed.snapshot?.commentary?.map((l) => l.id)).toEqual(["a", "b", "c"]);
    expect(feed.snapshot?.win_probability).toEqual([{ lap: 2, prior: "grid", probabilities: { "44": 0.7, "5": 0.3 } }]);
    expect(feed.snapshot?.seq).toBe(13);
    feed.event({ seq: 13, event: "commentary", data: { seq: 13, lap: 4, lines: [line("c")] } }); // a repeat: ignored
    expect(feed.snapshot?.commentary).toHaveLength(3);
  });

  it("formats lap times and marks bests", () => {
    expect(formatLapTime(105.149)).toBe("1:45.149");
    expect(formatLapTime(62.0)).toBe("1:02.000");
    expect(formatLapTime(37.4)).toBe("37.400");
    expect(formatLapTime(null)).toBe("");
    expect(timeMark(true, true)).toBe("purple");
    expect(timeMark(false, true)).toBe("green");
    expect(timeMark(false, false)).toBe("");
  });
});
