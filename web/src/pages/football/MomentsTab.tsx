// Notable moments (click: the player jumps there) and the clips saved from them.
import { useMemo, useState } from "react";
import { Alert, Spinner } from "../../components/ui";
import { getMoments } from "../../lib/football/api";
import { matchClock } from "../../lib/football/clock";
import type { ClipInput, MatchDetail } from "../../lib/football/types";
import { ClipsPanel } from "./ClipsPanel";
import { useLoad } from "./common";

export function MomentsTab({ orgId, match, onJump, currentTime }: {
  orgId: string;
  match: MatchDetail;
  onJump: (t: number) => void;
  currentTime: () => number;
}) {
  const moments = useLoad(() => getMoments(orgId, match.id), [orgId, match.id]);
  const [kind, setKind] = useState("");
  const [draft, setDraft] = useState<ClipInput>(() => {
    const now = currentTime();
    return { name: "", start_s: Number(now.toFixed(1)), end_s: Number((now + 10).toFixed(1)) };
  });
  const kinds = useMemo(() => [...new Set((moments.data ?? []).map((m) => m.kind))].sort(), [moments.data]);
  const names = useMemo(() => new Map(match.players.map((p) => [p.player_id, p.name ?? p.player_id])), [match.players]);
  const shown = (moments.data ?? []).filter((m) => !kind || m.kind === kind);

  return (
    <div className="fb-moments" data-testid="tab-moments">
      <div>
        <div className="fb-toolbar">
          <h3>Moments</h3>
          {kinds.length > 1 && (
            <select value={kind} onChange={(e) => setKind(e.target.value)} aria-label="Kind of moment">
              <option value="">All kinds</option>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          )}
        </div>
        {moments.error && <Alert>{moments.error}</Alert>}
        {!moments.data && !moments.error ? (
          <Spinner />
        ) : shown.length === 0 ? (
          <p className="muted small">No moments found in this match.</p>
        ) : (
          <ul className="plain-list fb-event-list">
            {shown.map((m, i) => (
              <li key={`${m.kind}:${m.start_s}:${i}`} className="fb-moment">
                <button type="button" className="fb-list-button" onClick={() => onJump(m.start_s)} data-testid="moment-item">
                  <span className="fb-time">{matchClock(match.periods, m.start_s)}</span>
                  <span className={`fb-side-dot fb-side-${m.side ?? "none"}`} aria-hidden="true" />
                  <strong>{m.label}</strong>
                  {m.player_id && !m.label.includes(names.get(m.player_id) ?? m.player_id) && (
                    <span className="muted"> · {names.get(m.player_id) ?? m.player_id}</span>
                  )}
                </button>
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => setDraft({ name: m.label, start_s: Math.max(0, m.start_s - 3), end_s: m.end_s + 3 })}
                  data-testid="moment-to-clip"
                  title="Fill the clip form with this moment (3 s either side)"
                >
                  Clip
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <ClipsPanel orgId={orgId} matchId={match.id} draft={draft} onDraft={setDraft} currentTime={currentTime} onJump={onJump} />
    </div>
  );
}
