import { describe, expect, it } from "vitest";
import { ChunkCache, chunkIndexAt, chunkSpan } from "./chunkCache";

function deferredLoader() {
  const calls: number[] = [];
  const waiting = new Map<number, { resolve: (v: string) => void; reject: (e: unknown) => void }>();
  const loader = (index: number) => {
    calls.push(index);
    return new Promise<string>((resolve, reject) => waiting.set(index, { resolve, reject }));
  };
  return { calls, waiting, loader };
}

describe("chunk geometry", () => {
  it("maps times to 60 s chunks", () => {
    expect(chunkIndexAt(0)).toBe(0);
    expect(chunkIndexAt(59.99)).toBe(0);
    expect(chunkIndexAt(60)).toBe(1);
    expect(chunkIndexAt(2790.5)).toBe(46);
    expect(chunkSpan(46)).toEqual([2760, 2820]);
  });
});

describe("ChunkCache", () => {
  it("loads each chunk once, sharing a load in flight", async () => {
    const { calls, waiting, loader } = deferredLoader();
    const cache = new ChunkCache(loader, { capacity: 3 });
    const a = cache.load(4);
    const b = cache.load(4);
    cache.prefetch(4);
    expect(calls).toEqual([4]);
    expect(cache.isLoading(4)).toBe(true);
    waiting.get(4)!.resolve("four");
    expect(await a).toBe("four");
    expect(await b).toBe("four");
    expect(cache.get(4)).toBe("four");
    await cache.load(4);
    expect(calls).toEqual([4]);
  });

  it("drops the least recently used chunk beyond its capacity", async () => {
    const cache = new ChunkCache(async (i) => `c${i}`, { capacity: 3 });
    await cache.load(1);
    await cache.load(2);
    await cache.load(3);
    cache.get(1); // 1 is now the most recent: 2 is the oldest
    await cache.load(4);
    expect(cache.keys()).toEqual([3, 1, 4]);
    expect(cache.has(2)).toBe(false);
    cache.peek(3); // peeking does not count as a use
    await cache.load(5);
    expect(cache.keys()).toEqual([1, 4, 5]);
    expect(cache.size).toBe(3);
  });

  it("tells listeners about arrivals", async () => {
    const cache = new ChunkCache(async (i) => i * 10, { capacity: 2 });
    const seen: number[] = [];
    const stop = cache.onLoad((i) => seen.push(i));
    await cache.load(7);
    stop();
    await cache.load(8);
    expect(seen).toEqual([7]);
  });

  it("remembers a failure for a while: prefetch waits, an explicit load retries", async () => {
    let now = 1000;
    let attempts = 0;
    const cache = new ChunkCache(
      async (i) => {
        attempts += 1;
        if (attempts === 1) throw new Error("HTTP 503");
        return `c${i}`;
      },
      { capacity: 2, retryAfterMs: 3000, now: () => now },
    );
    await expect(cache.load(0)).rejects.toThrow("HTTP 503");
    expect((cache.failure(0) as Error).message).toBe("HTTP 503");
    cache.prefetch(0);
    expect(attempts).toBe(1);
    now += 3001;
    expect(cache.failure(0)).toBeUndefined();
    expect(await cache.load(0)).toBe("c0");
    expect(attempts).toBe(2);
  });

  it("prefetches one chunk at a time, and never delays an explicit load", async () => {
    const { calls, waiting, loader } = deferredLoader();
    const cache = new ChunkCache(loader, { capacity: 4 });
    cache.prefetch(1);
    cache.prefetch(2); // the line is busy with 1
    expect(calls).toEqual([1]);
    void cache.load(7); // what is on screen goes at once
    expect(calls).toEqual([1, 7]);
    waiting.get(1)!.resolve("one");
    waiting.get(7)!.resolve("seven");
    await cache.load(7);
    cache.prefetch(2);
    expect(calls).toEqual([1, 7, 2]);
  });

  it("refuses a capacity below one", () => {
    expect(() => new ChunkCache(async () => 1, { capacity: 0 })).toThrow(RangeError);
  });
});
