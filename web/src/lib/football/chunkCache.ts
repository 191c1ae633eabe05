// A bounded, least-recently-used cache of frame chunks (fixed spans of the timeline), with
// de-duplicated in-flight loads, prefetching, and a short back-off after a failed load.

export const CHUNK_SECONDS = 60;

/** The chunk holding timeline second `time` (chunks are [k * span, (k + 1) * span)). */
export const chunkIndexAt = (time: number, span = CHUNK_SECONDS) => Math.floor(time / span);
export const chunkSpan = (index: number, span = CHUNK_SECONDS): [number, number] => [index * span, (index + 1) * span];

export interface ChunkCacheOptions {
  /** Most chunks kept (the least recently used one is dropped beyond it). */
  capacity: number;
  /** How long a failed chunk is not asked for again by prefetches (ms). */
  retryAfterMs?: number;
  /** Prefetch only while fewer loads than this are running, so they never slow the chunk on screen. */
  maxConcurrentPrefetches?: number;
  now?: () => number;
}

export class ChunkCache<T> {
  private readonly entries = new Map<number, T>(); // Map keeps insertion order: first = least recent
  private readonly pending = new Map<number, Promise<T>>();
  private readonly failures = new Map<number, { at: number; error: unknown }>();
  private readonly listeners = new Set<(index: number) => void>();
  private readonly loader: (index: number) => Promise<T>;
  private readonly options: Required<ChunkCacheOptions>;

  constructor(loader: (index: number) => Promise<T>, options: ChunkCacheOptions) {
    if (!(options.capacity >= 1)) throw new RangeError("ChunkCache capacity must be at least 1");
    this.loader = loader;
    this.options = { retryAfterMs: 3000, maxConcurrentPrefetches: 1, now: () => Date.now(), ...options };
  }

  get size(): number {
    return this.entries.size;
  }

  /** The indices held, least recently used first. */
  keys(): number[] {
    return [...this.entries.keys()];
  }

  has(index: number): boolean {
    return this.entries.has(index);
  }

  isLoading(index: number): boolean {
    return this.pending.has(index);
  }

  /** The chunk if it is here (and mark it as just used), else undefined. */
  get(index: number): T | undefined {
    const value = this.entries.get(index);
    if (value !== undefined) {
      this.entries.delete(index);
      this.entries.set(index, value);
    }
    return value;
  }

  /** Without marking it used (for looking at neighbours). */
  peek(index: number): T | undefined {
    return this.entries.get(index);
  }

  /** The last error of a chunk that failed to load recently, if any. */
  failure(index: number): unknown {
    const failed = this.failures.get(index);
    return failed && this.options.now() - failed.at < this.options.retryAfterMs ? failed.error : undefined;
  }

  /** Called with the index of every chunk that arrives. */
  onLoad(listener: (index: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The chunk, loading it if need be; concurrent callers share one load. */
  load(index: number): Promise<T> {
    const cached = this.get(index);
    if (cached !== undefined) return Promise.resolve(cached);
    const inFlight = this.pending.get(index);
    if (inFlight) return inFlight;
    const promise = this.loader(index).then(
      (value) => {
        this.pending.delete(index);
        this.failures.delete(index);
        this.store(index, value);
        for (const listener of this.listeners) listener(index);
        return value;
      },
      (error: unknown) => {
        this.pending.delete(index);
        this.failures.set(index, { at: this.options.now(), error });
        throw error;
      },
    );
    this.pending.set(index, promise);
    return promise;
  }

  /** Start loading a chunk in the background unless it is here, coming, failed just now, or the line is busy. */
  prefetch(index: number): void {
    if (this.entries.has(index) || this.pending.has(index) || this.failure(index) !== undefined) return;
    if (this.pending.size >= this.options.maxConcurrentPrefetches) return;
    this.load(index).catch(() => undefined);
  }

  clear(): void {
    this.entries.clear();
    this.failures.clear();
  }

  private store(index: number, value: T) {
    this.entries.delete(index);
    this.entries.set(index, value);
    while (this.entries.size > this.options.capacity) {
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
    }
  }
}
