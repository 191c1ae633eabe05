import { describe, expect, it } from "vitest";
import { PitchControlFeed, PLAYING_EVERY_MS, SETTLE_MS } from "./pitchControlFeed";
import type { PitchControl } from "./types";

function setup() {
  const asked: { t: number; signal: AbortSignal; resolve: (g: PitchControl) => void }[] = [];
  let updates = 0;
  const feed = new PitchControlFeed<string>({
    fetcher: (t, signal) => new Promise((resolve) => asked.push({ t, signal, resolve })),
    render: (grid) => `image@${grid.t}`,
    onUpdate: () => (updates += 1),
    onError: () => undefined,
  });
  const grid = (t: number): PitchControl => ({ t, nx: 1, ny: 1, extent: [0, 1, 0, 1], values: [0.5] });
  return { feed, asked, grid, updates: () => updates };
}

describe("PitchControlFeed", () => {
  it("asks for a paused time once it has settled, once", async () => {
    const { feed, asked, grid, updates } = setup();
    feed.update(100, false, 0);
    feed.update(100, false, SETTLE_MS - 1);
    expect(asked).toHaveLength(0);
    feed.update(100, false, SETTLE_MS);
    expect(asked.map((a) => a.t)).toEqual([100]);
    feed.update(100, false, SETTLE_MS + 500);
    expect(asked).toHaveLength(1);
    asked[0].resolve(grid(100));
    await Promise.resolve();
    expect(feed.image).toBe("image@100");
    expect(updates()).toBe(1);
  });

  it("waits while the user is still scrubbing, and drops a stale answer", async () => {
    const { feed, asked, grid } = setup();
    feed.update(10, false, 0);
    feed.update(10, false, SETTLE_MS);
    feed.update(20, false, SETTLE_MS + 50); // moved: the new time must settle first
    feed.update(30, false, SETTLE_MS + 100);
    feed.update(30, false, SETTLE_MS + 250);
    expect(asked).toHaveLength(1);
    feed.update(30, false, 2 * SETTLE_MS + 100);
    expect(asked.map((a) => a.t)).toEqual([10, 30]);
    expect(asked[0].signal.aborted).toBe(true);
    asked[0].resolve(grid(10));
    await Promise.resolve();
    expect(feed.grid).toBeNull();
  });

  it("asks at most once a second while playing, never two at once", async () => {
    const { feed, asked, grid } = setup();
    for (let now = 0; now <= 3000; now += 16) feed.update(now / 1000, true, now);
    expect(asked).toHaveLength(1); // the first answer has not come: no second request
    asked[0].resolve(grid(0));
    await Promise.resolve();
    for (let now = 3016; now <= 3016 + 2 * PLAYING_EVERY_MS; now += 16) {
      feed.update(now / 1000, true, now);
      if (asked.length > 1 && asked.at(-1)!.signal.aborted === false) asked.at(-1)!.resolve(grid(now));
      await Promise.resolve();
    }
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked.length).toBeLessThanOrEqual(4);
  });
});
