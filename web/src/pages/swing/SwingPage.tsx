// One swing: the annotated video (skeleton, event markers, angle readouts), its events, metrics,
// coaching cues, and the nearest swings to compare with. A tennis clip shows its strokes instead.
import { useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { useOrg } from "../../components/Shell";
import { Alert, Badge, InlineConfirm, PageHeader, Spinner } from "../../components/ui";
import { saveBlob } from "../../lib/download";
import { speedIn, speedUnit, type Units } from "../../lib/units";
import { useSession } from "../../state/session";
import { useLoad } from "../football/common";
import { ANGLE_LABELS, EVENT_LABELS, STROKE_LABELS, deleteSwing, fmt, getSwing, nearestSwings, strokeSummary, type Cue, type TennisOut } from "./api";
import { frameTime, useVideoUrl } from "./useVideo";

export function SwingPage() {
  const { orgId } = useOrg();
  const { swingId = "" } = useParams();
  const navigate = useNavigate();
  const { units } = useSession();
  const swing = useLoad(() => getSwing(orgId, swingId, units), [orgId, swingId, units]);
  const sport = swing.data?.sport;
  // Nearest swings and comparison align golf swings phase by phase; tennis clips have neither.
  const nearest = useLoad(async () => (sport === "golf" ? nearestSwings(orgId, swingId) : []), [orgId, swingId, sport]);
  const video = useVideoUrl(orgId, swing.data?.video_file_id);
  const player = useRef<HTMLVideoElement>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (swing.error) return <Alert>{swing.error}</Alert>;
  const s = swing.data;
  if (!s) return <Spinner />;
  const fps = s.video.fps;
  const seek = (frame: number) => {
    if (!player.current) return;
    player.current.pause();
    player.current.currentTime = frameTime(frame, fps);
  };
  const events = Object.entries(s.metrics.events ?? {}).sort((a, b) => a[1].frame - b[1].frame);
  const tennis = s.sport === "tennis" ? s.tennis : null;
  const keyEvents = ["address", "top", "impact", "finish"];

  return (
    <section data-testid="page-swing-detail">
      <PageHeader title={s.name}>
        {video.blob && <button type="button" className="button" onClick={() => saveBlob(video.blob!, `${s.name}-annotated.mp4`)} data-testid="swing-download">Download video</button>}
        {confirming ? (
          <InlineConfirm question="Delete this swing?" confirmLabel="Delete" busyLabel="Deleting…" busy={false}
            onConfirm={() => void deleteSwing(orgId, swingId).then(() => navigate(`/o/${orgId}/swing`)).catch((e) => setError(errorMessage(e)))}
            onCancel={() => setConfirming(false)} />
        ) : (
          <button type="button" className="button button-danger-outline" onClick={() => setConfirming(true)}>Delete</button>
        )}
      </PageHeader>
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      <p className="muted">
        {s.sport} · {s.club ?? (tennis ? "no note" : "club not given")} · {tennis ? `filmed from ${s.view}` : s.view.replace(/_/g, " ")} · {s.handedness}-handed
        {tennis && ` (${tennis.handedness_detected ? "detected" : "given"}) · ${tennis.athlete === "auto" ? "most prominent player" : `${tennis.athlete} player`}`}
        {s.playback_speed !== 1 && ` · ${1 / s.playback_speed}x slow motion`}
        {s.athlete_id && <> · <Link to={`/o/${orgId}/swing/athletes/${s.athlete_id}`}>athlete progress</Link></>}
      </p>
      <div className="row" style={{ alignItems: "flex-start", flexWrap: "wrap", gap: "1rem" }}>
        <div className="card" style={{ flex: "0 1 480px" }}>
          {video.error && <Alert>{video.error}</Alert>}
          {video.url ? (
            <video ref={player} src={video.url} controls playsInline muted style={{ width: "100%" }} data-testid="swing-video" />
          ) : !video.error && <Spinner label="Loading the video…" />}
          <div className="row" style={{ flexWrap: "wrap", gap: "0.25rem", marginTop: "0.5rem" }}>
            {events.map(([name, e]) => (
              <button key={name} type="button" className="button button-small" onClick={() => seek(e.frame)} data-testid="swing-event">
                {EVENT_LABELS[name] ?? name} · {e.time_s.toFixed(2)} s
              </button>
            ))}
          </div>
        </div>
        <div style={{ flex: "1 1 320px" }}>
          {tennis ? <StrokeTable tennis={tennis} onPick={seek} units={units} /> : (
          <div className="card">
            <h2>Tempo</h2>
            <p data-testid="swing-tempo">
              <strong>{fmt(s.tempo.ratio)}:1</strong> — backswing {fmt(s.tempo.backswing_s, 2)} s, downswing {fmt(s.tempo.downswing_s, 2)} s
            </p>
            <table className="table" data-testid="swing-angles">
              <thead><tr><th>Measure</th>{keyEvents.map((e) => <th key={e}>{EVENT_LABELS[e]}</th>)}</tr></thead>
              <tbody>
                {Object.entries(s.metrics.angles).map(([angle, values]) => (
                  <tr key={angle}>
                    <td>{ANGLE_LABELS[angle] ?? angle}</td>
                    {keyEvents.map((e) => <td key={e}>{fmt(values[e], angle === "hand_height" ? 2 : 0)}</td>)}
                  </tr>
                ))}
              </tbody>
            </table>
            {s.metrics.head_sway.max !== null && <p className="small muted">Largest head movement before impact: {fmt(s.metrics.head_sway.max, 2)} torso lengths.</p>}
          </div>
          )}
          <CueList cues={s.cues} onPick={seek}
            empty={tennis ? "Nothing stands out: each stroke is compared with your other strokes of the same type (one of a kind has nothing to compare with)." : undefined} />
        </div>
      </div>
      {!tennis && <div className="card">
        <h2>Compare with</h2>
        {nearest.error && <Alert>{nearest.error}</Alert>}
        {nearest.data?.length === 0 && <p className="muted">No other swing filmed from this side yet.</p>}
        <ul className="plain-list" data-testid="swing-nearest">
          {(nearest.data ?? []).map((n) => (
            <li key={n.swing.id}>
              <Link to={`/o/${orgId}/swing/${swingId}/compare/${n.swing.id}`}>{n.swing.name}</Link>
              <span className="muted small"> · tempo {fmt(n.swing.tempo.ratio)}:1 · distance {n.distance.toFixed(2)}</span>
            </li>
          ))}
        </ul>
      </div>}
    </section>
  );
}

export function CueList({ cues, onPick, empty }: { cues: Cue[]; onPick?: (frame: number) => void; empty?: string }) {
  return (
    <div className="card" data-testid="swing-cues">
      <h2>Coaching cues</h2>
      {cues.length === 0 && <p className="muted">{empty ?? "Nothing measured stands out."}</p>}
      <ul className="plain-list">
        {cues.map((c) => (
          <li key={c.code} data-testid="swing-cue" style={{ marginBottom: "0.5rem" }}>
            <Badge tone={c.severity === "fix" ? "warning" : "success"}>{c.severity === "fix" ? "work on" : "keep"}</Badge>{" "}
            {c.message}{" "}
            {onPick && <button type="button" className="link-button small" onClick={() => onPick(c.frame)}>show at {c.time_s.toFixed(2)} s</button>}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Every stroke of a tennis clip; a stroke's time seeks the video to its contact frame. */
export function StrokeTable({ tennis, onPick, units }: { tennis: TennisOut; onPick: (frame: number) => void; units: Units }) {
  const metres = tennis.metres_per_torso !== null; // a height was given: speeds in m/s (or mph), else torso lengths/s
  return (
    <div className="card" data-testid="tennis-strokes">
      <h2>Strokes</h2>
      <p data-testid="tennis-counts"><strong>{tennis.strokes.length} stroke{tennis.strokes.length === 1 ? "" : "s"}</strong>: {strokeSummary(tennis.counts)}</p>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr><th>#</th><th>Stroke</th><th>Contact</th><th>Racket wrist ({metres ? speedUnit(units) : "torso/s"})</th><th>Stance</th><th>Trunk rotation</th></tr>
          </thead>
          <tbody>
            {tennis.strokes.map((st) => (
              <tr key={st.index} data-testid="tennis-stroke" title={st.reasons.join("; ")}>
                <td>{st.index}</td>
                <td>{STROKE_LABELS[st.type] ?? st.type}{st.two_handed ? " (two hands)" : ""}</td>
                <td>
                  <button type="button" className="link-button" onClick={() => onPick(st.frame)} data-testid="tennis-stroke-time">
                    {st.time_s.toFixed(2)} s
                  </button>
                </td>
                <td data-testid="tennis-stroke-speed">{fmt(metres ? (st.speed_m_s === null ? null : speedIn(st.speed_m_s, units)) : st.speed_torso_s)}</td>
                <td>{st.stance ?? "—"}</td>
                <td>{st.trunk_rotation_deg === null ? "—" : `${fmt(st.trunk_rotation_deg, 0)}°`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="small muted">
        Contact is estimated from the racket wrist&apos;s speed peak (a serve: its highest point). Speed, stance and trunk
        rotation are 2D proxies measured on the video (rotation from the shoulder line's image width and the pose model's depth); compare strokes of one clip or one camera set-up.
      </p>
    </div>
  );
}
