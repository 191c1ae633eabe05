// The tracks of a video with their corrections: name, team, role, athlete, merge into another track.
// Corrections are stored at once; re-render the video (or make the match) to use them.
import { useState } from "react";
import { api, call, errorMessage } from "../../api/client";
import { Alert } from "../../components/ui";
import { useLoad } from "../football/common";
import { patchTrack, type Side, type Track, type TrackPatch, type TrackRole } from "./api";

export function TrackList({ orgId, videoId, tracks, onChange, onPose, poseBusy }: {
  orgId: string;
  videoId: string;
  tracks: Track[];
  onChange: (track: Track) => void;
  onPose?: (track: Track) => void;
  poseBusy?: boolean;
}) {
  const [error, setError] = useState<string | null>(null);
  const athletes = useLoad(
    async () => (await call(api.GET("/api/v1/orgs/{org_id}/athletes", { params: { path: { org_id: orgId }, query: { limit: 200 } } }))).items,
    [orgId],
  );

  async function save(track: Track, patch: TrackPatch) {
    setError(null);
    try {
      onChange(await patchTrack(orgId, videoId, track.track_id, patch));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const roots = tracks.filter((t) => t.merged_into === null);
  return (
    <div className="card" data-testid="track-list">
      <h2>Tracks</h2>
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      <div className="table-wrap">
        <table className="table responsive-table">
          <thead>
            <tr><th>Track</th><th>Seen</th><th>Name</th><th>Team</th><th>Role</th><th>Athlete</th><th>Same person as</th>{onPose && <th>Pose</th>}</tr>
          </thead>
          <tbody>
            {tracks.map((t) => (
              <tr key={t.track_id} data-testid="track-row" data-track-id={t.track_id}>
                <td data-label="Track">
                  <span style={{ display: "inline-block", width: 12, height: 12, background: t.colour, marginRight: 6, borderRadius: 2 }} />#{t.track_id}
                </td>
                <td data-label="Seen" className="small">{t.first_t.toFixed(1)}–{t.last_t.toFixed(1)} s</td>
                <td data-label="Name">
                  <input defaultValue={t.name ?? ""} placeholder={`Track ${t.track_id}`} aria-label={`Name of track ${t.track_id}`}
                    onBlur={(e) => e.target.value !== (t.name ?? "") && void save(t, { name: e.target.value || null })} />
                </td>
                <td data-label="Team">
                  <select value={t.team} onChange={(e) => void save(t, { team: e.target.value as Side })} aria-label={`Team of track ${t.track_id}`}>
                    <option value="home">Home</option>
                    <option value="away">Away</option>
                    <option value="other">Other (referee, staff, noise)</option>
                  </select>
                </td>
                <td data-label="Role">
                  <select value={t.role ?? "player"} onChange={(e) => void save(t, { role: e.target.value as TrackRole })} aria-label={`Role of track ${t.track_id}`} data-testid="track-role">
                    <option value="player">Player</option>
                    <option value="goalkeeper">Goalkeeper</option>
                    <option value="official">Official</option>
                  </select>
                </td>
                <td data-label="Athlete">
                  <select value={t.athlete_id ?? ""} onChange={(e) => void save(t, { athlete_id: e.target.value || null })} aria-label={`Athlete of track ${t.track_id}`}>
                    <option value="">–</option>
                    {(athletes.data ?? []).map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
                  </select>
                </td>
                <td data-label="Same person as">
                  <select value={t.merged_into ?? ""} onChange={(e) => void save(t, { merge_into: e.target.value === "" ? null : Number(e.target.value) })} aria-label={`Merge track ${t.track_id}`}>
                    <option value="">–</option>
                    {roots.filter((r) => r.track_id !== t.track_id).map((r) => <option key={r.track_id} value={r.track_id}>#{r.track_id}{r.name ? ` ${r.name}` : ""}</option>)}
                  </select>
                </td>
                {onPose && (
                  <td data-label="Pose">
                    <button type="button" className="button" disabled={poseBusy} onClick={() => onPose(t)} data-testid="track-pose"
                      title="Estimate this player's pose (skeleton over the video), first 10 s of the track">
                      Pose
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
