// Pitch-control grids for the player's overlay: asked for the paused time once it has settled,
// and at most once a second while playing; an answer for a time the player has left is dropped
// (its request is aborted). Turning the grid into an image is the caller's (it needs the DOM).
import type { PitchControl } from "./types";

export const SETTLE_MS = 200;
export const PLAYING_EVERY_MS = 1000;

export interface PitchControlFeedOptions<Image> {
  fetcher: (t: number, signal: AbortSignal) => Promise<PitchControl>;
  render: (grid: PitchControl) => Image | null;
  onUpdate: () => void;
  onError: (error: unknown) => void;
}

export class PitchControlFeed<Image = unknown> {
  grid: PitchControl | null = null;
  image: Image | null = null;
  private inFlight: AbortController | null = null;
  private requestedT: number | null = null;
  private lastRequestAt = Number.NEGATIVE_INFINITY;
  private lastTime: number | null = null;
  private changedAt = 0;
  private readonly options: PitchControlFeedOptions<Image>;

  constructor(options: PitchControlFeedOptions<Image>) {
    this.options = options;
  }

  /** Called every animation frame while the overlay is on. */
  update(time: number, playing: boolean, now: number) {
    if (time !== this.lastTime) {
      this.lastTime = time;
      this.changedAt = now;
    }
    if (playing) {
      if (!this.inFlight && now - this.lastRequestAt >= PLAYING_EVERY_MS) this.request(time, now);
      return;
    }
    const alreadyAsked = this.requestedT !== null && Math.abs(time - this.requestedT) <= 0.05;
    if (!alreadyAsked && now - this.changedAt >= SETTLE_MS) this.request(time, now);
  }

  private request(time: number, now: number) {
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    this.requestedT = time;
    this.lastRequestAt = now;
    this.options.fetcher(time, controller.signal).then(
      (grid) => {
        if (controller.signal.aborted) return;
        this.inFlight = null;
        this.grid = grid;
        this.image = this.options.render(grid);
        this.options.onUpdate();
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        this.inFlight = null;
        this.options.onError(error);
      },
    );
  }

  dispose() {
    this.inFlight?.abort();
    this.inFlight = null;
  }
}
