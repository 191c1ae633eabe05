// Chart helpers that need no DOM.

/** SVG path commands for the samples, a new sub-path after every gap (null or non-finite value). */
export function linePath(t: readonly number[], v: readonly (number | null)[], x: (t: number) => number, y: (v: number) => number): string {
  let d = "";
  let pen = false;
  for (let i = 0; i < t.length; i++) {
    const value = v[i];
    if (value === null || value === undefined || !Number.isFinite(value)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(t[i]).toFixed(1)},${y(value).toFixed(1)}`;
    pen = true;
  }
  return d;
}
