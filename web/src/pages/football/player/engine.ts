// The 2D match player's clock and drawing loop, outside React: on every animation frame it
// advances the playback time, finds the chunk for it (loading and prefetching through the chunk
// cache), interpolates the positions and draws them. React only hears about state changes
// (playing, buffering, errors); the frame counter, clock and scrub bar are written directly.
import { ChunkCache, chunkIndexAt } from "../../../lib/football/chunkCache";
import { advance, frameNumber, matchClock, skipGaps, timelineSpan } from "../../../lib/football/clock";
import { BALL_DEAD, type FrameChunk } from "../../../lib/football/frames";
import { bracket, emptySample, interpolate, type Sample } from "../../../lib/football/interpolate";
import type { MatchDetail } from "../../../lib/football/types";
import { errorMessage } from "../../../api/client";
import { drawGridImage } from "../../../components/pitch/grid";
import { drawBall, drawPlayers, drawTrails } from "../../../components/pitch/drawScene";
import type { PitchSurface } from "../../../components/pitch/surface";
import type { TeamColours } from "../../../components/pitch/teamColours";
import type { PitchControlFeed } from "../../../lib/football/pitchControlFeed";

export interface EngineState {
  playing: boolean;
  buffering: boolean;
  error: string | null;
}

export interface EngineDom {
  counter: HTMLElement | null;
  clock: HTMLElement | null;
  range: HTMLInputElement | null;
  canvas: HTMLCanvasElement | null;
}

const TRAIL_SECONDS = 5;
/** A long pause of the tab (or a breakpoint) must not jump the match ahead. */
const MAX_STEP_MS = 250;
/** Frames further apart than this are a gap in the recording, not blended. */
const MAX_BLEND_GAP_S = 1;

export class PlaybackEngine {
  time: number;
  speed = 1;
  trails = false;
  highlight = -1;
  control: PitchControlFeed<CanvasImageSource> | null = null;
  /** The canvas to draw on (created and replaced by the component). */
  surfaceRef: { readonly current: PitchSurface | null } = { current: null };
  dom: EngineDom = { counter: null, clock: null, range: null, canvas: null };
  scrubbing = false;

  readonly start: number;
  readonly end: number;
  readonly sample: Sample;
  private readonly match: MatchDetail;
  private readonly cache: ChunkCache<FrameChunk>;
  private readonly sides: Uint8Array;
  private readonly labels: string[];
  private readonly colours: TeamColours;
  private readonly onState: (state: EngineState) => void;
  private state: EngineState = { playing: false, buffering: true, error: null };
  private frame = -1;
  private drawn = Number.NaN;
  private clockText = "";
  private rangeValue = Number.NaN;
  private dirty = true;
  private last = 0;
  private raf = 0;
  private stopListening: () => void;

  constructor(match: MatchDetail, cache: ChunkCache<FrameChunk>, colours: TeamColours, onState: (state: EngineState) => void, initialTime?: number) {
    this.match = match;
    this.cache = cache;
    this.colours = colours;
    this.onState = onState;
    [this.start, this.end] = timelineSpan(match.periods, match.duration_s);
    this.time = this.clamp(initialTime ?? this.start);
    const players = [...match.players].sort((a, b) => a.index - b.index);
    this.sides = Uint8Array.from(players.map((p) => (p.side === "home" ? 0 : 1)));
    this.labels = players.map((p) => (p.jersey_no ?? "").toString());
    this.sample = emptySample(players.length);
    this.stopListening = cache.onLoad(() => (this.dirty = true));
  }

  get playing() {
    return this.state.playing;
  }

  get frameIndex() {
    return this.frame;
  }

  /** The time of what is on the canvas now (the playback time as of the last drawing). */
  get drawnTime() {
    return this.drawn;
  }

  run() {
    if (this.raf) return;
    this.last = performance.now();
    const tick = (now: number) => {
      this.raf = requestAnimationFrame(tick);
      this.step(now);
    };
    this.raf = requestAnimationFrame(tick);
  }

  dispose() {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.stopListening();
    this.control?.dispose();
  }

  seek(time: number) {
    this.time = this.clamp(time);
    this.dirty = true;
    this.rangeValue = Number.NaN; // the scrub bar is written on the next drawing
  }

  play() {
    if (this.time >= this.end) this.time = this.start;
    this.last = performance.now();
    this.setState({ playing: true });
  }

  pause() {
    this.setState({ playing: false });
    this.dirty = true;
  }

  toggle() {
    if (this.state.playing) this.pause();
    else this.play();
  }

  invalidate() {
    this.dirty = true;
  }

  /** Player id → [x, y] (metres) as drawn now (at drawnTime), or null when not drawn (for tests and tools). */
  positions(): Record<string, [number, number] | null> {
    const out: Record<string, [number, number] | null> = {};
    for (const p of this.match.players) {
      const x = this.sample.players[2 * p.index];
      const y = this.sample.players[2 * p.index + 1];
      out[p.player_id] = Number.isNaN(x) || Number.isNaN(y) ? null : [x, y];
    }
    return out;
  }

  private clamp(time: number) {
    return Number.isFinite(time) ? Math.min(this.end, Math.max(this.start, time)) : this.start;
  }

  private setState(patch: Partial<EngineState>) {
    const next = { ...this.state, ...patch };
    if (next.playing === this.state.playing && next.buffering === this.state.buffering && next.error === this.state.error) return;
    this.state = next;
    this.onState(next);
  }

  private chunkFor(index: number): FrameChunk | undefined {
    const chunk = this.cache.get(index);
    if (!chunk && !this.cache.isLoading(index) && this.cache.failure(index) === undefined && index >= 0) {
      this.cache.load(index).then(
        () => this.setState({ error: null }),
        (error: unknown) => this.setState({ error: `Could not load the frames: ${errorMessage(error)}` }),
      );
    }
    return chunk;
  }

  private step(now: number) {
    const elapsed = Math.min(MAX_STEP_MS, now - this.last);
    this.last = now;
    let index = chunkIndexAt(this.time);
    let chunk = this.chunkFor(index);
    if (this.state.playing && chunk && !this.scrubbing) {
      this.time = skipGaps(this.match.periods, advance(this.time, elapsed, this.speed, this.start, this.end));
      this.dirty = true;
      if (this.time >= this.end) this.pause();
      if (chunkIndexAt(this.time) !== index) {
        index = chunkIndexAt(this.time);
        chunk = this.chunkFor(index);
      }
    }
    this.setState({ buffering: !chunk });
    // Read ahead: one chunk normally, more at high speeds (a 60 s chunk lasts under 4 s at 16x).
    const ahead = this.speed >= 8 ? 3 : this.speed >= 4 ? 2 : 1;
    for (let k = 1; k <= ahead && (index + k) * 60 <= this.end; k++) this.cache.prefetch(index + k);
    if (this.trails && this.time - index * 60 < TRAIL_SECONDS && index > 0) this.cache.prefetch(index - 1);

    if (this.control) this.control.update(this.time, this.state.playing, now);
    if (!this.dirty) return;
    this.dirty = false;
    this.draw(chunk, index);
  }

  private draw(chunk: FrameChunk | undefined, index: number) {
    const previous = this.cache.peek(index - 1);
    const next = this.cache.peek(index + 1);
    if (chunk) {
      const { before, after } = bracket(chunk, this.time, { previous, next });
      interpolate(before, after, this.time, this.sample, MAX_BLEND_GAP_S);
    } else {
      interpolate(null, null, this.time, this.sample);
    }
    this.drawn = this.time;
    const nearest = this.sample.nearest;
    const frameTime = nearest ? nearest.chunk.t[nearest.index] : this.time;
    this.updateReadouts(frameNumber(frameTime, this.match.frame_rate));

    const surface = this.surfaceRef.current;
    if (!surface?.ctx || !surface.view) return;
    const ctx = surface.ctx;
    surface.clear();
    const control = this.control;
    if (control?.image && control.grid) drawGridImage(ctx, surface.view, control.image, control.grid.extent, 0.6);
    if (this.trails && chunk) {
      const chunks = [previous, chunk].filter((c): c is FrameChunk => !!c);
      drawTrails(ctx, surface.view, chunks, this.time, TRAIL_SECONDS, this.sides, this.colours);
    }
    drawPlayers(ctx, surface.view, {
      players: this.sample.players,
      sides: this.sides,
      labels: this.labels,
      highlight: this.highlight,
      colours: this.colours,
    });
    // A dead ball is drawn faded; unknown counts as alive.
    drawBall(ctx, surface.view, this.sample.ball, !nearest || nearest.chunk.ballState[nearest.index] !== BALL_DEAD);
  }

  private updateReadouts(frame: number) {
    const { counter, clock, range, canvas } = this.dom;
    if (frame !== this.frame) {
      this.frame = frame;
      if (counter) {
        counter.textContent = `Frame ${frame}`;
        counter.dataset.frame = String(frame);
      }
    }
    if (canvas) canvas.dataset.time = this.time.toFixed(2);
    const text = matchClock(this.match.periods, this.time);
    if (text !== this.clockText && clock) {
      this.clockText = text;
      clock.textContent = text;
    }
    // (NaN, after a seek or at the start, always writes)
    if (range && !this.scrubbing && !(Math.abs(this.time - this.rangeValue) < 0.1)) {
      this.rangeValue = this.time;
      range.value = String(this.time);
    }
  }
}
