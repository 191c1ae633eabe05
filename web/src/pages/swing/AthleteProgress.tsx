// An athlete's swings over time: tempo and the key angles as trend charts (SVG), oldest first.
import { Link, useParams } from "react-router-dom";
import { useOrg } from "../../components/Shell";
import { Alert, PageHeader, Spinner } from "../../components/ui";
import { formatDay } from "../../lib/format";
import { useLoad } from "../football/common";
import { ANGLE_LABELS, fmt, swingProgress, type ProgressPoint } from "./api";

const WIDTH = 640;
const HEIGHT = 160;
const PAD = { left: 40, right: 10, top: 10, bottom: 22 };

export function TrendChart({ title, points, value, band }: {
  title: string;
  points: ProgressPoint[];
  value: (p: ProgressPoint) => number | null | undefined;
  band?: [number, number];
}) {
  const values = points.map(value).map((v) => (v === null || v === undefined || !Number.isFinite(v) ? null : v));
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return null;
  const lo = Math.min(...known, ...(band ?? [])), hi = Math.max(...known, ...(band ?? []));
  const span = hi - lo || 1;
  const x = (i: number) => PAD.left + (points.length > 1 ? i / (points.length - 1) : 0.5) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / span) * (HEIGHT - PAD.top - PAD.bottom);
  const path = values.map((v, i) => (v === null ? "" : `${values[i - 1] == null ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}`)).join(" ");
  return (
    <figure className="card" data-testid="swing-trend">
      <figcaption className="small muted">{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={title}>
        {band && <rect x={PAD.left} width={WIDTH - PAD.left - PAD.right} y={y(band[1])} height={Math.abs(y(band[0]) - y(band[1]))} fill="currentColor" opacity={0.08} />}
        <text x={4} y={y(hi) + 4} fontSize={10} fill="currentColor">{fmt(hi)}</text>
        <text x={4} y={y(lo) + 4} fontSize={10} fill="currentColor">{fmt(lo)}</text>
        <path d={path} fill="none" stroke="currentColor" strokeWidth={2} />
        {values.map((v, i) => v !== null && <circle key={i} cx={x(i)} cy={y(v)} r={3.5} fill="currentColor"><title>{`${points[i].name}: ${fmt(v, 2)}`}</title></circle>)}
        {points.map((p, i) => <text key={p.swing_id} x={x(i)} y={HEIGHT - 6} fontSize={9} textAnchor="middle" fill="currentColor">{formatDay(p.created_at.slice(0, 10))}</text>)}
      </svg>
    </figure>
  );
}

export function AthleteProgressPage() {
  const { orgId } = useOrg();
  const { athleteId = "" } = useParams();
  const progress = useLoad(() => swingProgress(orgId, athleteId), [orgId, athleteId]);
  if (progress.error) return <Alert>{progress.error}</Alert>;
  if (!progress.data) return <Spinner />;
  const points = progress.data;
  const angles = [...new Set(points.flatMap((p) => Object.keys(p.angles)))];
  return (
    <section data-testid="page-swing-progress">
      <PageHeader title="Swing progress" />
      {points.length === 0 ? (
        <div className="card empty"><p>No swings for this athlete yet.</p></div>
      ) : (
        <>
          <TrendChart title="Tempo (backswing : downswing; shaded: 2.5–3.5)" points={points} value={(p) => p.tempo_ratio} band={[2.5, 3.5]} />
          <TrendChart title="Cues to work on" points={points} value={(p) => p.cues} />
          {angles.map((a) => (
            <TrendChart key={a} title={`${ANGLE_LABELS[a] ?? a} at the top`} points={points} value={(p) => p.angles[a]?.top} />
          ))}
          <ul className="plain-list">
            {points.map((p) => (
              <li key={p.swing_id}><Link to={`/o/${orgId}/swing/${p.swing_id}`}>{p.name}</Link> <span className="muted small">· {formatDay(p.created_at.slice(0, 10))} · {p.club ?? "–"} · tempo {fmt(p.tempo_ratio)}:1</span></li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
