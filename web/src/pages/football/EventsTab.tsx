// The match's events, filterable by type, team and text; a click jumps the player there.
import { useMemo, useState } from "react";
import { formatSeconds } from "../../lib/football/labels";
import type { MatchDetail, MatchEvent, Side } from "../../lib/football/types";
import { matchClock } from "../../lib/football/clock";

const MAX_SHOWN = 500;

export function EventsTab({ match, events, onJump }: { match: MatchDetail; events: readonly MatchEvent[]; onJump: (t: number) => void }) {
  const [type, setType] = useState("");
  const [side, setSide] = useState<Side | "">("");
  const [query, setQuery] = useState("");
  const names = useMemo(() => new Map(match.players.map((p) => [p.player_id, p.name ?? p.player_id])), [match.players]);
  const types = useMemo(() => [...new Set(events.map((e) => e.type))].sort(), [events]);
  const filtered = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return events.filter(
      (e) =>
        (!type || e.type === type) &&
        (!side || e.side === side) &&
        (!needle || [e.type, e.result, e.player_id && names.get(e.player_id)].some((s) => s?.toLowerCase().includes(needle))),
    );
  }, [events, type, side, query, names]);

  if (events.length === 0) return <div className="card empty muted" data-testid="tab-events">This match has no event data.</div>;
  return (
    <div data-testid="tab-events">
      <div className="fb-toolbar">
        <select value={type} onChange={(e) => setType(e.target.value)} aria-label="Event type" data-testid="events-type">
          <option value="">All types</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <select value={side} onChange={(e) => setSide(e.target.value as Side | "")} aria-label="Team">
          <option value="">Both teams</option>
          <option value="home">{match.home.name}</option>
          <option value="away">{match.away.name}</option>
        </select>
        <input type="search" value={query} placeholder="Search" onChange={(e) => setQuery(e.target.value)} aria-label="Search events" />
        <span className="muted small">{filtered.length.toLocaleString()} events</span>
      </div>
      <ul className="plain-list fb-event-list">
        {filtered.slice(0, MAX_SHOWN).map((e) => (
          <li key={e.event_id}>
            <button type="button" className="fb-list-button" onClick={() => onJump(e.timeline)} data-testid="event-item" title={`Jump to ${formatSeconds(e.timeline)}`}>
              <span className="fb-time">{matchClock(match.periods, e.timeline)}</span>
              <span className={`fb-side-dot fb-side-${e.side ?? "none"}`} aria-hidden="true" />
              <strong>{e.type}</strong>
              {e.result && <span className="muted"> · {e.result}</span>}
              {e.player_id && <span> · {names.get(e.player_id) ?? e.player_id}</span>}
            </button>
          </li>
        ))}
      </ul>
      {filtered.length > MAX_SHOWN && <p className="muted small">Showing the first {MAX_SHOWN}; filter to narrow the list.</p>}
    </div>
  );
}
