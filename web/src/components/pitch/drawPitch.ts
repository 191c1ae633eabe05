// The pitch markings (IFAB dimensions, in metres) drawn onto a canvas through a PitchView.
import type { PitchView } from "./geometry";

export interface PitchColours {
  grass: string;
  stripe: string;
  line: string;
}

/** The pitch colours of the current theme (CSS custom properties of the football section). */
export function readPitchColours(element: Element): PitchColours {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    grass: read("--pitch-grass", "#2f6b3a"),
    stripe: read("--pitch-stripe", "#337140"),
    line: read("--pitch-line", "rgb(255 255 255 / 80%)"),
  };
}

const CENTRE_CIRCLE = 9.15;
const PENALTY_DEPTH = 16.5;
const PENALTY_WIDTH = 40.32;
const GOAL_AREA_DEPTH = 5.5;
const GOAL_AREA_WIDTH = 18.32;
const PENALTY_SPOT = 11;
const GOAL_WIDTH = 7.32;
const GOAL_DEPTH = 2;
const CORNER_ARC = 1;

export function drawPitch(ctx: CanvasRenderingContext2D, view: PitchView, colours: PitchColours): void {
  const { length: L, width: W } = view.pitch;
  const hl = L / 2;
  const hw = W / 2;
  const s = view.scale;
  ctx.save();
  ctx.fillStyle = colours.grass;
  ctx.fillRect(0, 0, view.widthPx, view.heightPx);
  // Mowing stripes: 12 bands across the length.
  ctx.fillStyle = colours.stripe;
  const band = L / 12;
  for (let i = 0; i < 12; i += 2) ctx.fillRect(view.px(-hl + i * band), view.py(hw), band * s, W * s);

  ctx.strokeStyle = colours.line;
  ctx.lineWidth = Math.max(1, 0.12 * s);
  const rect = (x0: number, y0: number, x1: number, y1: number) =>
    ctx.strokeRect(view.px(x0), view.py(y1), (x1 - x0) * s, (y1 - y0) * s);
  const circle = (x: number, y: number, r: number, a0 = 0, a1 = 2 * Math.PI) => {
    ctx.beginPath();
    // Canvas angles turn clockwise on screen; pitch angles anticlockwise (y is up): negate them.
    ctx.arc(view.px(x), view.py(y), r * s, -a1, -a0);
    ctx.stroke();
  };
  const dot = (x: number, y: number) => {
    ctx.beginPath();
    ctx.arc(view.px(x), view.py(y), Math.max(1.2, 0.25 * s), 0, 2 * Math.PI);
    ctx.fillStyle = colours.line;
    ctx.fill();
  };

  rect(-hl, -hw, hl, hw);
  ctx.beginPath();
  ctx.moveTo(view.px(0), view.py(hw));
  ctx.lineTo(view.px(0), view.py(-hw));
  ctx.stroke();
  circle(0, 0, CENTRE_CIRCLE);
  dot(0, 0);
  // The penalty arc: the part of the 9.15 m circle around the spot outside the area.
  const arc = Math.acos((PENALTY_DEPTH - PENALTY_SPOT) / CENTRE_CIRCLE);
  for (const sign of [-1, 1]) {
    const goalLine = sign * hl;
    rect(Math.min(goalLine, goalLine - sign * PENALTY_DEPTH), -PENALTY_WIDTH / 2, Math.max(goalLine, goalLine - sign * PENALTY_DEPTH), PENALTY_WIDTH / 2);
    rect(Math.min(goalLine, goalLine - sign * GOAL_AREA_DEPTH), -GOAL_AREA_WIDTH / 2, Math.max(goalLine, goalLine - sign * GOAL_AREA_DEPTH), GOAL_AREA_WIDTH / 2);
    rect(Math.min(goalLine, goalLine + sign * GOAL_DEPTH), -GOAL_WIDTH / 2, Math.max(goalLine, goalLine + sign * GOAL_DEPTH), GOAL_WIDTH / 2);
    const spot = goalLine - sign * PENALTY_SPOT;
    dot(spot, 0);
    if (sign > 0) circle(spot, 0, CENTRE_CIRCLE, Math.PI - arc, Math.PI + arc);
    else circle(spot, 0, CENTRE_CIRCLE, -arc, arc);
    circle(goalLine, hw, CORNER_ARC, sign > 0 ? Math.PI : 1.5 * Math.PI, sign > 0 ? 1.5 * Math.PI : 2 * Math.PI);
    circle(goalLine, -hw, CORNER_ARC, sign > 0 ? 0.5 * Math.PI : 0, sign > 0 ? Math.PI : 0.5 * Math.PI);
  }
  ctx.restore();
}
