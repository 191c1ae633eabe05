// One frame of the 2D match player: players (team colour, shirt number), ball, optional trails.
import type { FrameChunk } from "../../lib/football/frames";
import { frameAtOrBefore } from "../../lib/football/interpolate";
import type { PitchView } from "./geometry";
import type { TeamColours } from "./teamColours";

export interface SceneOptions {
  /** x, y per player (NaN: not drawn). */
  players: Float32Array;
  /** 0 home / 1 away per player. */
  sides: Uint8Array;
  /** Shirt numbers ("" when unknown). */
  labels: string[];
  /** Index of a player to highlight, or -1. */
  highlight: number;
  colours: TeamColours;
}

export function drawPlayers(ctx: CanvasRenderingContext2D, view: PitchView, scene: SceneOptions) {
  const r = Math.max(5, 1.05 * view.scale);
  const { players, sides, labels, colours } = scene;
  ctx.save();
  ctx.lineWidth = Math.max(1, r * 0.15);
  ctx.font = `600 ${Math.round(r * 1.05)}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  const p = players.length / 2;
  for (let j = 0; j < p; j++) {
    const x = players[2 * j];
    const y = players[2 * j + 1];
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    const cx = view.px(x);
    const cy = view.py(y);
    const home = sides[j] === 0;
    ctx.beginPath();
    ctx.arc(cx, cy, j === scene.highlight ? r * 1.35 : r, 0, 2 * Math.PI);
    ctx.fillStyle = home ? colours.home : colours.away;
    ctx.fill();
    ctx.strokeStyle = j === scene.highlight ? "#facc15" : "rgb(0 0 0 / 55%)";
    ctx.stroke();
    if (labels[j]) {
      ctx.fillStyle = home ? colours.homeText : colours.awayText;
      ctx.fillText(labels[j], cx, cy + 0.5);
    }
  }
  ctx.restore();
}

export function drawBall(ctx: CanvasRenderingContext2D, view: PitchView, ball: Float32Array, alive: boolean) {
  const [x, y, z] = ball;
  if (Number.isNaN(x) || Number.isNaN(y)) return;
  // A ball in the air is drawn a little larger (height is a hint, not to scale).
  const lift = Number.isNaN(z) ? 0 : Math.min(3, Math.max(0, z)) / 3;
  const r = Math.max(3, 0.55 * view.scale) * (1 + 0.6 * lift);
  ctx.save();
  ctx.globalAlpha = alive ? 1 : 0.55;
  ctx.beginPath();
  ctx.arc(view.px(x), view.py(y), r, 0, 2 * Math.PI);
  ctx.fillStyle = "#fffbe6";
  ctx.fill();
  ctx.lineWidth = Math.max(1, r * 0.3);
  ctx.strokeStyle = "#111";
  ctx.stroke();
  ctx.restore();
}

/** Frames further apart than this (s) are a gap in the recording: the trail breaks there. */
const TRAIL_MAX_STEP_S = 1;

/**
 * Each player's recorded path over the last `seconds` up to `time`, from the chunks given (in
 * timeline order). A frame where the player is missing, or a gap between frames, breaks the line.
 */
export function drawTrails(
  ctx: CanvasRenderingContext2D,
  view: PitchView,
  chunks: readonly FrameChunk[],
  time: number,
  seconds: number,
  sides: Uint8Array,
  colours: TeamColours,
) {
  const ranges = chunks.map((chunk) => {
    const start = frameAtOrBefore(chunk.t, time - seconds) + 1;
    const end = frameAtOrBefore(chunk.t, time);
    return { chunk, start, end };
  }).filter((r) => r.end >= r.start);
  if (ranges.length === 0) return;
  const p = ranges[0].chunk.p;
  ctx.save();
  ctx.lineWidth = Math.max(1, 0.3 * view.scale);
  ctx.globalAlpha = 0.55;
  ctx.lineJoin = "round";
  for (let j = 0; j < p; j++) {
    ctx.beginPath();
    let drawing = false;
    let previousT = Number.NEGATIVE_INFINITY;
    for (const { chunk, start, end } of ranges) {
      if (chunk.p !== p) continue;
      for (let i = start; i <= end; i++) {
        const x = chunk.xy[(i * p + j) * 2];
        const y = chunk.xy[(i * p + j) * 2 + 1];
        const gap = chunk.t[i] - previousT > TRAIL_MAX_STEP_S;
        previousT = chunk.t[i];
        if (Number.isNaN(x) || Number.isNaN(y)) {
          drawing = false;
          continue;
        }
        if (drawing && !gap) ctx.lineTo(view.px(x), view.py(y));
        else ctx.moveTo(view.px(x), view.py(y));
        drawing = true;
      }
    }
    ctx.strokeStyle = sides[j] === 0 ? colours.home : colours.away;
    ctx.stroke();
  }
  ctx.restore();
}
