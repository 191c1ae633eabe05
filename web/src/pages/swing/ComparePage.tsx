// Two swings side by side, synchronised by phase: the athlete's video plays and the reference
// video follows through the DTW alignment (address to finish; before and after, frame offsets).
import { useEffect, useRef } from "react";
import { Link, useParams } from "react-router-dom";
import { useOrg } from "../../components/Shell";
import { Alert, PageHeader, Spinner } from "../../components/ui";
import { useSession } from "../../state/session";
import { useLoad } from "../football/common";
import { ANGLE_LABELS, EVENT_LABELS, compareSwings, fmt, getSwing, type Comparison } from "./api";
import { CueList } from "./SwingPage";
import { frameTime, useVideoUrl } from "./useVideo";

/** The reference frame shown with athlete frame `frame` (exported for tests). */
export function referenceFrame(frameMap: readonly [number, number][], frame: number): number {
  if (frameMap.length === 0) return frame;
  const [firstA, firstR] = frameMap[0];
  const [lastA, lastR] = frameMap[frameMap.length - 1];
  if (frame <= firstA) return Math.max(0, firstR - (firstA - frame));
  if (frame >= lastA) return lastR + (frame - lastA);
  let lo = 0;
  let hi = frameMap.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (frameMap[mid][0] <= frame) lo = mid;
    else hi = mid;
  }
  return frameMap[lo][1];
}

export function ComparePage() {
  const { orgId } = useOrg();
  const { swingId = "", referenceId = "" } = useParams();
  const athlete = useLoad(() => getSwing(orgId, swingId), [orgId, swingId]);
  const reference = useLoad(() => getSwing(orgId, referenceId), [orgId, referenceId]);
  const { units } = useSession();
  const comparison = useLoad(() => compareSwings(orgId, swingId, referenceId, units), [orgId, swingId, referenceId, units]);
  const athleteVideo = useVideoUrl(orgId, athlete.data?.video_file_id);
  const referenceVideo = useVideoUrl(orgId, reference.data?.video_file_id);
  const left = useRef<HTMLVideoElement>(null);
  const right = useRef<HTMLVideoElement>(null);
  const map = comparison.data?.frame_map;
  const fpsA = athlete.data?.video.fps;
  const fpsR = reference.data?.video.fps;

  useEffect(() => {
    if (!map) return;
    let handle = 0;
    const tick = () => {
      const a = left.current;
      const r = right.current;
      if (a && r) {
        const frame = Math.floor(a.currentTime * (fpsA || 30));
        const target = frameTime(referenceFrame(map, frame), fpsR);
        if (Math.abs(r.currentTime - target) > 0.5 / (fpsR || 30)) r.currentTime = target;
      }
      handle = requestAnimationFrame(tick);
    };
    handle = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(handle);
  }, [map, fpsA, fpsR]);

  const error = athlete.error ?? reference.error ?? comparison.error;
  if (error) return <Alert>{error}</Alert>;
  if (!athlete.data || !reference.data || !comparison.data) return <Spinner />;
  const c: Comparison = comparison.data;
  return (
    <section data-testid="page-swing-compare">
      <PageHeader title={`${athlete.data.name} vs ${reference.data.name}`} />
      <p>
        Similarity <strong data-testid="swing-similarity">{(c.similarity * 100).toFixed(0)}%</strong>
        <span className="muted small"> · mean joint offset {c.mean_cost.toFixed(2)} torso lengths after alignment</span>
      </p>
      <div className="row" style={{ gap: "1rem", flexWrap: "wrap", alignItems: "flex-start" }}>
        {[{ ref: left, v: athleteVideo, s: athlete.data, controls: true }, { ref: right, v: referenceVideo, s: reference.data, controls: false }].map(
          ({ ref, v, s, controls }) => (
            <div key={s.id} className="card" style={{ flex: "1 1 300px", maxWidth: 480 }}>
              <div className="small muted"><Link to={`/o/${orgId}/swing/${s.id}`}>{s.name}</Link> · tempo {fmt(s.tempo.ratio)}:1</div>
              {v.error && <Alert>{v.error}</Alert>}
              {v.url ? <video ref={ref} src={v.url} controls={controls} playsInline muted style={{ width: "100%" }} /> : !v.error && <Spinner />}
            </div>
          ),
        )}
      </div>
      <div className="card">
        <h2>Phases</h2>
        <table className="table" data-testid="swing-phases">
          <thead><tr><th>Phase</th><th>Athlete</th><th>Reference</th><th>Similarity</th>{c.angles.map((a) => <th key={a}>Δ {ANGLE_LABELS[a] ?? a}</th>)}</tr></thead>
          <tbody>
            {c.phases.map((p) => (
              <tr key={p.name}>
                <td>{p.name.replace(/_/g, " ")}</td>
                <td>{p.athlete_duration_s.toFixed(2)} s</td>
                <td>{p.reference_duration_s.toFixed(2)} s</td>
                <td>{(p.similarity * 100).toFixed(0)}%</td>
                {c.angles.map((a) => <td key={a}>{fmt(p.mean_differences[a])}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
        <h2>At the key positions</h2>
        <table className="table">
          <thead><tr><th>Position</th><th>Measure</th><th>Athlete</th><th>Reference</th><th>Difference</th></tr></thead>
          <tbody>
            {c.at_events.map((d) => (
              <tr key={`${d.event}-${d.angle}`}>
                <td>{EVENT_LABELS[d.event] ?? d.event}</td><td>{ANGLE_LABELS[d.angle] ?? d.angle}</td>
                <td>{fmt(d.athlete)}</td><td>{fmt(d.reference)}</td><td>{fmt(d.difference)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <CueList cues={c.cues} onPick={(frame) => { if (left.current) { left.current.pause(); left.current.currentTime = frameTime(frame, fpsA); } }} />
    </section>
  );
}
