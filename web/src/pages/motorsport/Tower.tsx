// The timing tower, the track status banner and the race-control feed of one session.
import { formatLapTime, bestLapMark, runningOrder, timeMark, TRACK_STATUS_LABELS, type RaceControlMessage, type Snapshot } from "./timing";

const MARK_COLOURS: Record<string, string> = { purple: "#a020f0", green: "#1f9d3a" };
const TRACK_COLOURS: Record<string, string> = {
  green: "#1f9d3a", yellow: "#e0b000", sc: "#e08a00", vsc: "#e08a00", vsc_ending: "#e0b000", red: "#c62828", unknown: "#777",
};
const COMPOUND_COLOURS: Record<string, string> = {
  HYPERSOFT: "#f7a8c8", ULTRASOFT: "#8e44ad", SUPERSOFT: "#e53935", SOFT: "#e53935", MEDIUM: "#f4c20d", HARD: "#cfcfcf",
  INTERMEDIATE: "#43a047", WET: "#1e88e5",
};

function Marked({ value, mark, testId }: { value: string; mark: string; testId?: string }) {
  const colour = MARK_COLOURS[mark];
  return (
    <span data-testid={testId} data-mark={mark || undefined} style={colour ? { color: colour, fontWeight: 700 } : undefined}>
      {value}
    </span>
  );
}

export function TrackStatusBanner({ status, message }: { status: string; message: string | null }) {
  return (
    <div
      className="card"
      data-testid="f1-track-status"
      data-status={status}
      style={{ background: TRACK_COLOURS[status] ?? "#777", color: "#fff", fontWeight: 700, padding: "0.5rem 1rem" }}
    >
      {TRACK_STATUS_LABELS[status] ?? status}
      {message && message !== "AllClear" && <span style={{ fontWeight: 400 }}> · {message}</span>}
    </div>
  );
}

export function TimingTower({ snapshot, favourites = new Set() }: { snapshot: Snapshot; favourites?: Set<string> }) {
  const drivers = runningOrder(snapshot);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="f1-tower" style={{ fontVariantNumeric: "tabular-nums" }}>
        <thead>
          <tr>
            <th>Pos</th><th>Driver</th><th>Gap</th><th>Int</th><th>Last</th><th>Best</th><th>S1</th><th>S2</th><th>S3</th><th>Tyre</th><th>Pits</th>
          </tr>
        </thead>
        <tbody>
          {drivers.map((d) => {
            const out = d.status === "retired" || d.status === "disqualified";
            const favourite = favourites.has(d.number);
            return (
              <tr key={d.number} data-testid="f1-tower-row" data-driver={d.number} data-favourite={favourite || undefined}
                style={{ opacity: out ? 0.5 : undefined, background: favourite ? "var(--favourite-bg, rgba(255, 196, 0, 0.18))" : undefined, fontWeight: favourite ? 600 : undefined }}>
                <td data-testid="f1-position">{d.position ?? ""}</td>
                <td>
                  <span style={{ display: "inline-block", width: 4, height: "1em", marginRight: 6, background: d.team_colour ?? "#999", verticalAlign: "middle" }} />
                  <strong data-testid="f1-tla" title={d.name ?? undefined}>{d.tla ?? d.number}</strong>
                  {d.in_pit && <span className="small muted"> PIT</span>}
                  {out && <span className="small muted"> OUT</span>}
                </td>
                <td>{d.gap_to_leader ?? ""}</td>
                <td>{d.interval ?? ""}</td>
                <td><Marked value={formatLapTime(d.last_lap)} mark={timeMark(d.last_lap_overall_best, d.last_lap_personal_best)} testId="f1-last-lap" /></td>
                <td><Marked value={formatLapTime(d.best_lap)} mark={bestLapMark(d, snapshot.fastest_lap)} testId="f1-best-lap" /></td>
                {[0, 1, 2].map((i) => {
                  const sector = d.sectors?.[i];
                  return (
                    <td key={i}>
                      <Marked value={formatLapTime(sector?.time ?? null)} mark={sector ? timeMark(sector.overall_best, sector.personal_best) : ""} />
                    </td>
                  );
                })}
                <td data-testid="f1-tyre">
                  {d.compound && (
                    <span title={d.compound} style={{ display: "inline-block", minWidth: "1.4em", textAlign: "center", borderRadius: "50%", border: `2px solid ${COMPOUND_COLOURS[d.compound] ?? "#999"}`, fontWeight: 700, fontSize: "0.8em" }}>
                      {d.compound[0]}
                    </span>
                  )}{" "}
                  {d.tyre_age ?? ""}
                </td>
                <td>{d.pit_stops ?? 0}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function RaceControlFeed({ messages }: { messages: RaceControlMessage[] }) {
  const latest = messages.slice(-50).reverse();
  return (
    <div className="card" data-testid="f1-race-control">
      <h3 style={{ marginTop: 0 }}>Race control</h3>
      {latest.length === 0 ? (
        <p className="muted small">No messages yet.</p>
      ) : (
        <ul className="plain-list small" style={{ maxHeight: "28rem", overflowY: "auto" }}>
          {latest.map((m, i) => (
            <li key={`${m.t}-${i}`} data-testid="f1-race-control-message" style={{ marginBottom: "0.4rem" }}>
              <span className="muted">{m.lap ? `Lap ${m.lap} · ` : ""}{m.utc ? m.utc.slice(11, 19) : ""}</span>
              <div>{m.message}</div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
