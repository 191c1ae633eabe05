// Known points of a 105 x 68 m pitch for the calibration tool, in the canonical frame: metres,
// origin at the centre spot, +x towards the right-hand goal (home attacks it), +y to the top.
export interface Landmark {
  id: string;
  label: string;
  x: number;
  y: number;
}

export const PITCH_LENGTH = 105;
export const PITCH_WIDTH = 68;
const HL = PITCH_LENGTH / 2;
const HW = PITCH_WIDTH / 2;

function sides(name: string, x: number, y: number): Landmark[] {
  // The same point at both ends (left/right) and both touchlines (top/bottom) where it differs.
  const out: Landmark[] = [];
  for (const [end, sx] of [["left", -1], ["right", 1]] as const) {
    if (x === 0 && end === "right") continue;
    for (const [line, sy] of [["top", 1], ["bottom", -1]] as const) {
      if (y === 0 && line === "bottom") continue;
      const where = [x !== 0 ? end : "", y !== 0 ? line : ""].filter(Boolean).join(" ");
      out.push({ id: `${name}-${end}-${line}`, label: `${name}${where ? ` (${where})` : ""}`, x: sx * x || 0, y: sy * y || 0 });
    }
  }
  return out;
}

export const LANDMARKS: Landmark[] = [
  ...sides("Corner", HL, HW),
  ...sides("Halfway line × touchline", 0, HW),
  ...sides("Centre spot", 0, 0),
  ...sides("Centre circle × halfway line", 0, 9.15),
  ...sides("Penalty spot", HL - 11, 0),
  ...sides("Penalty area corner", HL - 16.5, 20.16),
  // The penalty arc (9.15 m around the spot) meets the 16.5 m line 7.31 m either side of the middle.
  ...sides("Penalty arc × penalty area line", HL - 16.5, 7.31),
  ...sides("Penalty area × goal line", HL, 20.16),
  ...sides("Goal area corner", HL - 5.5, 9.16),
  ...sides("Goal area × goal line", HL, 9.16),
];
