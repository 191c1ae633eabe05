// Speed over the match (1 Hz) as an SVG line, with the speed zones as bands behind it; samples
// without data break the line instead of being drawn as zero.
import { useMemo } from "react";
import { linePath } from "../../lib/football/chart";
import { formatSeconds } from "../../lib/football/labels";
import type { PeriodSpan } from "../../lib/football/types";

/** Lower edges of zones 2–5 in km/h (zone 1 starts at 0), the common defaults. */
export const DEFAULT_ZONE_EDGES_KMH = [7.2, 14.4, 19.8, 25.2];

const WIDTH = 900;
const HEIGHT = 220;
const PAD = { left: 36, right: 8, top: 8, bottom: 22 };

export function SpeedChart({ t, v, periods, zoneEdgesKmh = DEFAULT_ZONE_EDGES_KMH, onPick }: {
  t: readonly number[];
  v: readonly (number | null)[];
  periods: readonly PeriodSpan[];
  zoneEdgesKmh?: readonly number[];
  onPick?: (t: number) => void;
}) {
  const chart = useMemo(() => {
    const t0 = t.length ? t[0] : 0;
    const t1 = t.length ? t[t.length - 1] : 1;
    const vmax = Math.max(...v.map((s) => (s !== null && Number.isFinite(s) ? s * 3.6 : 0)), ...zoneEdgesKmh.slice(-1).map((e) => e + 5), 10);
    const x = (s: number) => PAD.left + ((s - t0) / Math.max(1e-9, t1 - t0)) * (WIDTH - PAD.left - PAD.right);
    const y = (kmh: number) => PAD.top + (1 - kmh / vmax) * (HEIGHT - PAD.top - PAD.bottom);
    const path = linePath(t, v, x, (ms) => y(ms * 3.6));
    const ticks = [];
    for (let k = 0; k <= vmax; k += 10) ticks.push(k);
    return { t0, t1, vmax, x, y, path, ticks };
  }, [t, v, zoneEdgesKmh]);

  const { x, y, vmax } = chart;
  const edges = [0, ...zoneEdgesKmh, vmax];
  return (
    <svg
      className="fb-speed-chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label="Speed over the match in km/h"
      data-testid="speed-chart"
      onClick={(e) => {
        if (!onPick) return;
        const box = (e.currentTarget as SVGSVGElement).getBoundingClientRect();
        const px = ((e.clientX - box.left) / box.width) * WIDTH;
        const frac = (px - PAD.left) / (WIDTH - PAD.left - PAD.right);
        if (frac >= 0 && frac <= 1) onPick(chart.t0 + frac * (chart.t1 - chart.t0));
      }}
    >
      {edges.slice(0, -1).map((lo, i) => (
        <rect key={i} className={`fb-zone fb-zone-${i + 1}`} x={PAD.left} width={WIDTH - PAD.left - PAD.right} y={y(Math.min(vmax, edges[i + 1]))} height={Math.max(0, y(lo) - y(Math.min(vmax, edges[i + 1])))}>
          <title>{`Zone ${i + 1}: ${lo}–${i + 1 < zoneEdgesKmh.length + 1 ? edges[i + 1] : "∞"} km/h`}</title>
        </rect>
      ))}
      {periods.slice(1).map((p) => (
        <line key={p.period_id} className="fb-chart-period" x1={x(p.start_s)} x2={x(p.start_s)} y1={PAD.top} y2={HEIGHT - PAD.bottom} />
      ))}
      {chart.ticks.map((k) => (
        <g key={k}>
          <line className="fb-chart-grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(k)} y2={y(k)} />
          <text className="fb-chart-label" x={PAD.left - 4} y={y(k) + 4} textAnchor="end">
            {k}
          </text>
        </g>
      ))}
      {[0, 0.25, 0.5, 0.75, 1].map((f) => {
        const s = chart.t0 + f * (chart.t1 - chart.t0);
        return (
          <text key={f} className="fb-chart-label" x={x(s)} y={HEIGHT - 6} textAnchor={f === 0 ? "start" : f === 1 ? "end" : "middle"}>
            {formatSeconds(s)}
          </text>
        );
      })}
      <path className="fb-speed-line" d={chart.path} data-testid="speed-line" />
    </svg>
  );
}
