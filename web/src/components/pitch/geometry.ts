// Metres on the pitch ↔ pixels on a canvas. Pitch coordinates: origin at the centre spot, x along
// the length (home attacks +x), y along the width with +y drawn at the top.

export interface PitchSize {
  length: number;
  width: number;
}

export const DEFAULT_PITCH: PitchSize = { length: 105, width: 68 };

/** Room around the touchlines (metres): goals, trails and players just off the pitch stay visible. */
export const PITCH_MARGIN = 4;

export interface PitchView {
  /** Pixels per metre. */
  scale: number;
  /** Canvas pixel of pitch x (metres). */
  px(x: number): number;
  /** Canvas pixel of pitch y (metres; +y is up). */
  py(y: number): number;
  /** Pitch metres of a canvas pixel. */
  toPitch(px: number, py: number): [number, number];
  widthPx: number;
  heightPx: number;
  pitch: PitchSize;
}

/** Width / height of the drawn area, for the canvas's aspect ratio. */
export const pitchAspect = (pitch: PitchSize, margin = PITCH_MARGIN) => (pitch.length + 2 * margin) / (pitch.width + 2 * margin);

/** The largest view of the pitch (plus margin) that fits widthPx × heightPx, centred. */
export function pitchView(pitch: PitchSize, widthPx: number, heightPx: number, margin = PITCH_MARGIN): PitchView {
  const spanX = pitch.length + 2 * margin;
  const spanY = pitch.width + 2 * margin;
  const scale = Math.max(1e-6, Math.min(widthPx / spanX, heightPx / spanY));
  const cx = widthPx / 2;
  const cy = heightPx / 2;
  return {
    scale,
    px: (x) => cx + x * scale,
    py: (y) => cy - y * scale,
    toPitch: (px, py) => [(px - cx) / scale, (cy - py) / scale],
    widthPx,
    heightPx,
    pitch,
  };
}
