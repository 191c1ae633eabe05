// Hand-drawn SVG line chart for the F1 analysis page: one polyline per driver, gaps in the
// data (null) break the line, hovering a legend entry highlights its driver.
import { useState } from "react";

export interface ChartSeries { key: string; label: string; colour: string; points: [number, number | null][] }

const W = 760;
const H = 300;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

function ticks(min: number, max: number, count: number): number[] {
  const step = (max - min) / count || 1;
  return Array.from({ length: count + 1 }, (_, i) => min + i * step);
}

export function LineChart({ series, xLabel, yLabel, invertY = false, yMax, testId }: {
  series: ChartSeries[]; xLabel: string; yLabel: string; invertY?: boolean; yMax?: number; testId?: string;
}) {
  const [focus, setFocus] = useState<string | null>(null);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null));
  if (!xs.length || !ys.length) return <p className="muted small">No data yet.</p>;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), yMax !== undefined ? Math.min(yMax, Math.max(...ys)) : Math.max(...ys)];
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => {
    const f = (Math.min(y, y1) - y0) / (y1 - y0 || 1);
    return invertY ? PAD.top + f * (H - PAD.top - PAD.bottom) : H - PAD.bottom - f * (H - PAD.top - PAD.bottom);
  };
  const paths = series.map((s) => {
    let d = "";
    let pen = false;
    for (const [x, y] of s.points) {
      if (y === null) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      pen = true;
    }
    return { s, d };
  });
  return (
    <div data-testid={testId}>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${yLabel} by ${xLabel}`}>
        {ticks(y0, y1, 4).map((t) => (
          <g key={`y${t}`}>
            <line x1={PAD.left} x2={W - PAD.right} y1={sy(t)} y2={sy(t)} stroke="#8883" />
            <text x={PAD.left - 4} y={sy(t) + 4} fontSize="10" textAnchor="end">{Math.abs(t) >= 100 ? t.toFixed(0) : t.toFixed(1)}</text>
          </g>
        ))}
        {ticks(x0, x1, 5).map((t) => (
          <text key={`x${t}`} x={sx(t)} y={H - 10} fontSize="10" textAnchor="middle">{t.toFixed(0)}</text>
        ))}
        <text x={W / 2} y={H} fontSize="10" textAnchor="middle">{xLabel}</text>
        <text x={10} y={PAD.top} fontSize="10">{yLabel}</text>
        {paths.map(({ s, d }) => (
          <path key={s.key} d={d} fill="none" stroke={s.colour} strokeWidth={focus === s.key ? 3 : 1.4}
            opacity={focus && focus !== s.key ? 0.2 : 0.9} />
        ))}
      </svg>
      <div className="small" style={{ display: "flex", flexWrap: "wrap", gap: "0.5rem" }}>
        {series.map((s) => (
          <span key={s.key} onMouseEnter={() => setFocus(s.key)} onMouseLeave={() => setFocus(null)} style={{ cursor: "default" }}>
            <span style={{ display: "inline-block", width: 10, height: 10, background: s.colour, marginRight: 3 }} />
            {s.label}
          </span>
        ))}
      </div>
    </div>
  );
}
