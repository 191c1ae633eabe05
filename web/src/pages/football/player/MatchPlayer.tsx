// The 2D match player: the pitch canvas, its controls and the scrub bar. Frames stream in 60 s
// binary chunks (cached, prefetched); the drawing loop lives in PlaybackEngine.
import { useEffect, useImperativeHandle, useMemo, useRef, useState, type KeyboardEvent, type Ref } from "react";
import { errorMessage } from "../../../api/client";
import { pitchAspect } from "../../../components/pitch/geometry";
import { controlColour, gridImage, parseHex } from "../../../components/pitch/grid";
import { usePitchSurface } from "../../../components/pitch/surface";
import { teamColours } from "../../../components/pitch/teamColours";
import { Alert } from "../../../components/ui";
import { fetchFrames, getPitchControl } from "../../../lib/football/api";
import { CHUNK_SECONDS, ChunkCache, chunkSpan } from "../../../lib/football/chunkCache";
import { SPEEDS, timelineSpan } from "../../../lib/football/clock";
import { decodeFrames, type FrameChunk } from "../../../lib/football/frames";
import { PitchControlFeed } from "../../../lib/football/pitchControlFeed";
import type { MatchDetail, MatchEvent } from "../../../lib/football/types";
import { PlaybackEngine, type EngineState } from "./engine";
import { markersFrom, Timeline } from "./Timeline";

export interface MatchPlayerHandle {
  seek(time: number): void;
  currentTime(): number;
  play(): void;
  pause(): void;
}

/** What the page exposes for browser tests and scripts (`window.__sidelinePlayer`). */
export interface PlayerTestHook {
  /** Frame number and timeline seconds of what is drawn (not of a seek still waiting for its chunk). */
  readonly frame: number;
  readonly time: number;
  readonly playing: boolean;
  positions(): Record<string, [number, number] | null>;
  seek(time: number): void;
}

declare global {
  interface Window {
    __sidelinePlayer?: PlayerTestHook;
  }
}

const CACHED_CHUNKS = 16;
const STEP_SECONDS = 5;

/**
 * The frame chunks of a match. Made by the page, so the first chunk can be asked for while the
 * match details are still on their way (it only needs the ids and the start time).
 */
export function useFrameCache(orgId: string, matchId: string): ChunkCache<FrameChunk> {
  return useMemo(
    () =>
      new ChunkCache<FrameChunk>(async (index) => {
        const [t0, t1] = chunkSpan(index, CHUNK_SECONDS);
        return decodeFrames(await fetchFrames(orgId, matchId, t0, t1));
      }, { capacity: CACHED_CHUNKS }),
    [orgId, matchId],
  );
}

export function MatchPlayer({ orgId, match, cache, events, initialTime, highlightPlayerId, ref }: {
  orgId: string;
  match: MatchDetail;
  cache: ChunkCache<FrameChunk>;
  events: readonly MatchEvent[];
  initialTime?: number;
  highlightPlayerId?: string | null;
  ref?: Ref<MatchPlayerHandle>;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const counterRef = useRef<HTMLSpanElement>(null);
  const clockRef = useRef<HTMLSpanElement>(null);
  const rangeRef = useRef<HTMLInputElement>(null);
  const engineRef = useRef<PlaybackEngine | null>(null);
  const initialTimeRef = useRef(initialTime);
  const [state, setState] = useState<EngineState>({ playing: false, buffering: true, error: null });
  const [speed, setSpeed] = useState(1);
  const [trails, setTrails] = useState(false);
  const [control, setControl] = useState(false);
  const [controlError, setControlError] = useState<string | null>(null);

  const colours = useMemo(() => teamColours(match.home.colour, match.away.colour), [match.home.colour, match.away.colour]);
  const surface = usePitchSurface(canvasRef, match.pitch, () => engineRef.current?.invalidate());

  useEffect(() => {
    const engine = new PlaybackEngine(match, cache, colours, setState, initialTimeRef.current);
    engine.dom = { counter: counterRef.current, clock: clockRef.current, range: rangeRef.current, canvas: canvasRef.current };
    engineRef.current = engine;
    engine.surfaceRef = surface; // created by an earlier effect, replaced on resize of the pitch
    engine.run();
    window.__sidelinePlayer = {
      get frame() {
        return engine.frameIndex;
      },
      get time() {
        return engine.drawnTime;
      },
      get playing() {
        return engine.playing;
      },
      positions: () => engine.positions(),
      seek: (t) => engine.seek(t),
    };
    return () => {
      engine.dispose();
      if (engineRef.current === engine) engineRef.current = null;
      delete window.__sidelinePlayer;
    };
  }, [match, cache, colours, surface]);

  useImperativeHandle(ref, () => ({
    seek: (t) => engineRef.current?.seek(t),
    currentTime: () => engineRef.current?.time ?? 0,
    play: () => engineRef.current?.play(),
    pause: () => engineRef.current?.pause(),
  }), []);

  useEffect(() => {
    const engine = engineRef.current;
    if (!engine) return;
    engine.speed = speed;
    engine.trails = trails;
    engine.highlight = match.players.find((p) => p.player_id === highlightPlayerId)?.index ?? -1;
    engine.invalidate();
  }, [speed, trails, highlightPlayerId, match.players]);

  useEffect(() => {
    const engine = engineRef.current;
    if (!engine || !control) return;
    setControlError(null);
    const colour = controlColour(parseHex(colours.home)!, parseHex(colours.away)!);
    const feed = new PitchControlFeed<CanvasImageSource>({
      fetcher: (t, signal) => getPitchControl(orgId, match.id, t, signal),
      render: (grid) => gridImage(grid, colour),
      onUpdate: () => engine.invalidate(),
      onError: (error) => {
        setControlError(`Pitch control is not available: ${errorMessage(error)}`);
        setControl(false);
      },
    });
    engine.control = feed;
    return () => {
      feed.dispose();
      if (engine.control === feed) engine.control = null;
      engine.invalidate();
    };
  }, [control, orgId, match.id, colours]);

  const markers = useMemo(() => markersFrom(events), [events]);
  const [start, end] = useMemo(() => timelineSpan(match.periods, match.duration_s), [match.periods, match.duration_s]);
  const seekBy = (seconds: number) => engineRef.current && engineRef.current.seek(engineRef.current.time + seconds);

  function onKeyDown(e: KeyboardEvent) {
    if ((e.target as HTMLElement).closest("select, input:not([type=range]), button")) return;
    if (e.key === " ") engineRef.current?.toggle();
    else if (e.key === "ArrowLeft") seekBy(-STEP_SECONDS);
    else if (e.key === "ArrowRight") seekBy(STEP_SECONDS);
    else return;
    e.preventDefault();
  }

  return (
    <div className="fb-player card" data-testid="match-player" tabIndex={-1} onKeyDown={onKeyDown}>
      {/* Wide enough to use the column, low enough to leave the controls on screen. */}
      <div className="pitch-frame" style={{ aspectRatio: String(pitchAspect(match.pitch)), maxWidth: `calc(${pitchAspect(match.pitch).toFixed(4)} * 68vh)` }}>
        <canvas
          ref={canvasRef}
          className="pitch-canvas"
          role="img"
          aria-label={`2D view of ${match.home.name} v ${match.away.name}`}
          data-testid="pitch-canvas"
          onClick={() => engineRef.current?.toggle()}
        />
        {state.buffering && !state.error && <div className="fb-buffering" data-testid="player-buffering">Loading frames…</div>}
      </div>
      <Timeline
        start={start}
        end={end}
        periods={match.periods}
        markers={markers}
        inputRef={rangeRef}
        onSeek={(t) => engineRef.current?.seek(t)}
        onScrub={(active) => engineRef.current && (engineRef.current.scrubbing = active)}
      />
      <div className="fb-controls">
        <button type="button" className="button button-small" onClick={() => seekBy(-STEP_SECONDS)} aria-label={`Back ${STEP_SECONDS} seconds`}>
          −{STEP_SECONDS}s
        </button>
        <button
          type="button"
          className="button button-primary fb-play"
          onClick={() => engineRef.current?.toggle()}
          data-testid="play-toggle"
          data-playing={state.playing}
          aria-label={state.playing ? "Pause" : "Play"}
        >
          {state.playing ? "❚❚ Pause" : "▶ Play"}
        </button>
        <button type="button" className="button button-small" onClick={() => seekBy(STEP_SECONDS)} aria-label={`Forward ${STEP_SECONDS} seconds`}>
          +{STEP_SECONDS}s
        </button>
        <label className="inline-field">
          <span>Speed</span>
          <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))} data-testid="player-speed">
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox small">
          <input type="checkbox" checked={trails} onChange={(e) => setTrails(e.target.checked)} data-testid="toggle-trails" /> Trails
        </label>
        <label className="checkbox small">
          <input type="checkbox" checked={control} onChange={(e) => setControl(e.target.checked)} data-testid="toggle-pitch-control" /> Pitch control
        </label>
        <span className="fb-readouts">
          <span ref={clockRef} className="fb-clock" data-testid="match-clock" aria-live="off" />
          <span ref={counterRef} className="muted small" data-testid="frame-counter" data-frame="0" />
        </span>
      </div>
      <div className="fb-legend small">
        <span><i className="fb-swatch" style={{ background: colours.home }} /> {match.home.name}</span>
        <span><i className="fb-swatch" style={{ background: colours.away }} /> {match.away.name}</span>
      </div>
      {state.error && <Alert kind="warning">{state.error} Retrying…</Alert>}
      {controlError && <Alert kind="warning" onDismiss={() => setControlError(null)}>{controlError}</Alert>}
    </div>
  );
}
