// A value grid over the pitch (heat map, pitch control) as an image drawn into its extent.
import type { PitchGrid } from "../../lib/football/types";
import type { PitchView } from "./geometry";

export type Rgba = [number, number, number, number];

/** "#rrggbb" (or "#rgb") → [r, g, b]; null for anything else. */
export function parseHex(colour: string | null | undefined): [number, number, number] | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour?.trim() ?? "");
  if (!m) return null;
  const hex = m[1].length === 3 ? m[1].split("").map((c) => c + c).join("") : m[1];
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/**
 * The grid as a canvas of nx × ny pixels, one per cell, coloured by `colour(value)`. Row 0 of
 * the grid is at y0 (the bottom when drawn), so it becomes the image's last row.
 */
export function gridImage(grid: PitchGrid, colour: (value: number) => Rgba): HTMLCanvasElement | null {
  const { nx, ny, values } = grid;
  if (!(nx > 0 && ny > 0) || values.length < nx * ny) return null;
  const canvas = document.createElement("canvas");
  canvas.width = nx;
  canvas.height = ny;
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  const image = ctx.createImageData(nx, ny);
  const data = image.data;
  for (let row = 0; row < ny; row++) {
    const out = (ny - 1 - row) * nx;
    for (let col = 0; col < nx; col++) {
      const v = values[row * nx + col];
      if (v === null || !Number.isFinite(v)) continue; // transparent
      const [r, g, b, a] = colour(v);
      const o = (out + col) * 4;
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
      data[o + 3] = a;
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** Draw a grid image over its extent [x0, x1, y0, y1] (metres), smoothed. */
export function drawGridImage(ctx: CanvasRenderingContext2D, view: PitchView, image: CanvasImageSource, extent: readonly number[], alpha = 1) {
  const [x0, x1, y0, y1] = extent;
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, view.px(x0), view.py(y1), (x1 - x0) * view.scale, (y1 - y0) * view.scale);
  ctx.restore();
}

/** Pitch control: the home colour where home controls the space, the away colour where away does. */
export function controlColour(home: [number, number, number], away: [number, number, number]) {
  return (v: number): Rgba => {
    const c = v >= 0.5 ? home : away;
    return [c[0], c[1], c[2], Math.round(Math.min(1, Math.abs(v - 0.5) * 2) * 200)];
  };
}

/** Heat: transparent at zero through yellow to red at `max`. */
export function heatColour(max: number) {
  return (v: number): Rgba => {
    const f = max > 0 ? Math.min(1, Math.max(0, v / max)) : 0;
    if (f <= 0) return [0, 0, 0, 0];
    const g = Math.round(230 * (1 - f));
    return [255, g, 30, Math.round(235 * Math.sqrt(f))];
  };
}
