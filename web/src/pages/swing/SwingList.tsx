// The swing section's front page: the organisation's swings and the upload panel.
import { useCallback, useState } from "react";
import { Link } from "react-router-dom";
import { api, call } from "../../api/client";
import { useOrg } from "../../components/Shell";
import { Alert, PageHeader, Pager, Spinner } from "../../components/ui";
import { formatBytes, formatRelative } from "../../lib/format";
import { fromFeetAndInches } from "../../lib/units";
import { usePagedList } from "../../lib/usePagedList";
import { useSession } from "../../state/session";
import { UploadProgressList, useUploadThenJob } from "../../state/uploadJob";
import { JobProgress, useLoad } from "../football/common";
import { fmt, listSwings, startAnalysis, strokeSummary } from "./api";

const PAGE_SIZE = 25;

export function SwingListPage() {
  const { orgId } = useOrg();
  const [uploading, setUploading] = useState(false);
  const { items, total, offset, setOffset, error, setError, reload } = usePagedList(
    (limit, offset) => listSwings(orgId, limit, offset),
    [orgId],
    { pageSize: PAGE_SIZE, clearErrorOnLoad: true },
  );
  const onAnalysed = useCallback(() => void reload(), [reload]);
  return (
    <section data-testid="page-swing">
      <PageHeader title="Swing">
        <button type="button" className="button button-primary" onClick={() => setUploading((v) => !v)} data-testid="swing-upload-toggle" aria-expanded={uploading}>
          {uploading ? "Close" : "Analyse a swing"}
        </button>
      </PageHeader>
      {uploading && <UploadPanel orgId={orgId} onAnalysed={onAnalysed} />}
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      {items === null ? (
        error ? null : <Spinner />
      ) : items.length === 0 ? (
        <div className="card empty" data-testid="swings-empty">
          <p>No swings yet.</p>
          <p className="muted">Film one golf swing (whole body in view, from behind or face-on) and upload it to see events, tempo, angles and coaching cues;
            or a tennis rally or practice clip (filmed from behind or the side) to see every stroke with its speed, stance and trunk rotation.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="swings-table">
            <thead>
              <tr><th>Swing</th><th>Club</th><th>View</th><th>Tempo / strokes</th><th>Athlete</th><th>Analysed</th></tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id} data-testid="swing-row">
                  <td data-label="Swing" className="break"><Link to={`/o/${orgId}/swing/${s.id}`}>{s.name}</Link></td>
                  <td data-label="Club">{s.club ?? <span className="muted">–</span>}</td>
                  <td data-label="View">{s.view.replace(/_/g, " ")} · {s.handedness}-handed</td>
                  <td data-label="Tempo / strokes">{s.sport === "tennis" ? `tennis: ${strokeSummary(s.strokes)}` : `${fmt(s.tempo.ratio)}:1`}</td>
                  <td data-label="Athlete">{s.athlete_id ? <Link to={`/o/${orgId}/swing/athletes/${s.athlete_id}`}>progress</Link> : <span className="muted">–</span>}</td>
                  <td data-label="Analysed">{formatRelative(s.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager total={total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
    </section>
  );
}

interface AthleteOption { id: string; name: string }

function UploadPanel({ orgId, onAnalysed }: { orgId: string; onAnalysed: () => void }) {
  const athletes = useLoad(async () => {
    const page = await call(api.GET("/api/v1/orgs/{org_id}/athletes", { params: { path: { org_id: orgId }, query: { limit: 200 } } }));
    return (page as { items: AthleteOption[] }).items;
  }, [orgId]);
  const [file, setFile] = useState<File | null>(null);
  const [sport, setSport] = useState<"golf" | "tennis">("golf");
  const [player, setPlayer] = useState<"auto" | "near" | "far">("auto");
  const { units } = useSession();
  const [heightCm, setHeightCm] = useState("");
  const [heightFt, setHeightFt] = useState("");
  const [heightIn, setHeightIn] = useState("");
  const [athleteId, setAthleteId] = useState("");
  const [club, setClub] = useState("");
  const [handedness, setHandedness] = useState("auto");
  const [slowMotion, setSlowMotion] = useState("1");
  const { uploads, busy, error, setError, job, run } = useUploadThenJob(orgId, onAnalysed);

  async function submit() {
    if (!file) return;
    const height = units === "imperial"
      ? (heightFt || heightIn ? fromFeetAndInches(Number(heightFt || 0), Number(heightIn || 0)) : 0)
      : (heightCm ? Number(heightCm) / 100 : 0);
    await run([file], ([stored]) => startAnalysis(orgId, {
      file_id: stored.id, athlete_id: athleteId || undefined, sport, club: club.trim() || undefined, handedness,
      playback_speed: 1 / Number(slowMotion),
      // The API takes metres (it checks the range and names a bad value); speeds come back in m/s.
      ...(sport === "tennis" ? { athlete: player, athlete_height_m: height > 0 ? height : undefined } : {}),
    }));
  }

  const swingId = (job?.result as { swing_id?: string } | null | undefined)?.swing_id;
  return (
    <div className="card" data-testid="swing-upload-panel">
      <h2>Analyse a swing</h2>
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      <label className="field">
        <span>Sport</span>
        <select value={sport} onChange={(e) => setSport(e.target.value as "golf" | "tennis")} data-testid="swing-sport">
          <option value="golf">golf: one swing</option><option value="tennis">tennis: every stroke of a rally or practice clip</option>
        </select>
      </label>
      <label className="field">
        <span>Video ({sport === "golf" ? "one swing" : "strokes"}, 1–60 s)</span>
        <input type="file" accept="video/*" data-testid="swing-file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      <label className="field">
        <span>Athlete (optional)</span>
        <select value={athleteId} onChange={(e) => setAthleteId(e.target.value)} data-testid="swing-athlete">
          <option value="">—</option>
          {(athletes.data ?? []).map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
        </select>
      </label>
      <div className="row">
        <label className="field"><span>{sport === "golf" ? "Club" : "Note"}</span><input value={club} maxLength={40} onChange={(e) => setClub(e.target.value)} placeholder={sport === "golf" ? "e.g. driver, 7-iron" : "e.g. serve practice"} /></label>
        <label className="field">
          <span>Handedness</span>
          <select value={handedness} onChange={(e) => setHandedness(e.target.value)}>
            <option value="auto">detect</option><option value="right">right</option><option value="left">left</option>
          </select>
        </label>
        <label className="field">
          <span>Slow motion</span>
          <select value={slowMotion} onChange={(e) => setSlowMotion(e.target.value)}>
            <option value="1">none</option><option value="2">2x</option><option value="4">4x</option><option value="8">8x</option>
          </select>
        </label>
      </div>
      {sport === "tennis" && (
        <div className="row">
          <label className="field">
            <span>Player</span>
            <select value={player} onChange={(e) => setPlayer(e.target.value as "auto" | "near" | "far")} data-testid="swing-player">
              <option value="auto">most prominent (practice clip; near player of a broadcast)</option>
              <option value="near">near player</option><option value="far">far player</option>
            </select>
          </label>
          {units === "imperial" ? (
            <fieldset className="field" style={{ border: 0, padding: 0, margin: 0 }}>
              <span>Player height (feet and inches, optional: speeds in mph)</span>
              <span className="row">
                <input type="number" min={2} max={8} value={heightFt} onChange={(e) => setHeightFt(e.target.value)} aria-label="feet" data-testid="swing-height-ft" style={{ width: "5rem" }} /> ft
                <input type="number" min={0} max={11} value={heightIn} onChange={(e) => setHeightIn(e.target.value)} aria-label="inches" data-testid="swing-height-in" style={{ width: "5rem" }} /> in
              </span>
            </fieldset>
          ) : (
            <label className="field">
              <span>Player height (cm, optional: speeds in m/s)</span>
              <input type="number" min={80} max={250} value={heightCm} onChange={(e) => setHeightCm(e.target.value)} data-testid="swing-height-cm" />
            </label>
          )}
        </div>
      )}
      {busy ? <UploadProgressList uploads={uploads} /> : file && <p className="muted small">{file.name} · {formatBytes(file.size)}</p>}
      {job && <JobProgress job={job} label="Analysis" />}
      {swingId && <p><Link to={`/o/${orgId}/swing/${swingId}`} data-testid="swing-open">Open the swing</Link></p>}
      <button type="button" className="button button-primary" disabled={!file || busy} onClick={() => void submit()} data-testid="swing-analyse">
        {busy ? "Uploading…" : "Upload and analyse"}
      </button>
    </div>
  );
}
