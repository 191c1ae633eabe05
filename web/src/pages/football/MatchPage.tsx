// One match: header, the 2D match player and the analysis tabs below it.
import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { teamColours } from "../../components/pitch/teamColours";
import { useOrg } from "../../components/Shell";
import { Alert, InlineConfirm, Spinner } from "../../components/ui";
import { deleteMatch, getEvents, getMatch } from "../../lib/football/api";
import { chunkIndexAt } from "../../lib/football/chunkCache";
import type { MatchEvent } from "../../lib/football/types";
import { formatDay } from "../../lib/format";
import { EventsTab } from "./EventsTab";
import { MatchStatusBadge, percent, useLoad } from "./common";
import { MomentsTab } from "./MomentsTab";
import { MatchPlayer, useFrameCache, type MatchPlayerHandle } from "./player/MatchPlayer";
import { PlayersTab } from "./PlayersTab";
import { TeamsTab } from "./TeamsTab";

const TABS = [
  { id: "players", label: "Players" },
  { id: "teams", label: "Teams" },
  { id: "moments", label: "Moments & clips" },
  { id: "events", label: "Events" },
] as const;
type TabId = (typeof TABS)[number]["id"];

const IMPORT_POLL_MS = 4000;

export function MatchPage() {
  const { orgId } = useOrg();
  const { matchId = "" } = useParams();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const match = useLoad(() => getMatch(orgId, matchId), [orgId, matchId]);
  const [events, setEvents] = useState<MatchEvent[]>([]);
  const [chosenTab, setTab] = useState<TabId | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const playerRef = useRef<MatchPlayerHandle>(null);
  const playerBox = useRef<HTMLDivElement>(null);

  const detail = match.data;
  // Without tracking there are no physical KPIs: open on the events.
  const tab: TabId = chosenTab ?? (detail && !detail.has_tracking ? "events" : "players");
  const t = search.get("t");
  const initialTime = t !== null && t.trim() !== "" && Number.isFinite(Number(t)) ? Number(t) : undefined;
  const highlight = search.get("player");

  // Ask for the frames at the start time now, alongside the match details (saves a round trip).
  const frames = useFrameCache(orgId, matchId);
  const firstChunk = chunkIndexAt(Math.max(0, initialTime ?? 0));
  useEffect(() => {
    frames.load(firstChunk).catch(() => undefined); // a match without tracking: the player never asks again
  }, [frames]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!detail?.has_events) return;
    let cancelled = false;
    getEvents(orgId, matchId).then((items) => !cancelled && setEvents(items), () => undefined);
    return () => {
      cancelled = true;
    };
  }, [orgId, matchId, detail?.has_events]);

  // A new ?t= while the page is open (e.g. the browser's back button) moves the player.
  useEffect(() => {
    if (initialTime !== undefined) playerRef.current?.seek(initialTime);
  }, [initialTime]);

  const importing = detail?.status === "importing";
  useEffect(() => {
    if (!importing) return;
    const timer = setInterval(() => void match.reload(), IMPORT_POLL_MS);
    return () => clearInterval(timer);
  }, [importing, match.reload]); // eslint-disable-line react-hooks/exhaustive-deps

  const jump = useCallback((time: number) => {
    playerRef.current?.seek(time);
    playerBox.current?.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }, []);
  const currentTime = useCallback(() => playerRef.current?.currentTime() ?? 0, []);
  const colours = useMemo(() => teamColours(detail?.home.colour, detail?.away.colour), [detail?.home.colour, detail?.away.colour]);

  async function remove() {
    setDeleting(true);
    try {
      await deleteMatch(orgId, matchId);
      navigate(`/o/${orgId}/football`);
    } catch (err) {
      setDeleteError(errorMessage(err));
      setDeleting(false);
      setConfirmDelete(false);
    }
  }

  if (match.error && !detail) {
    return (
      <section data-testid="page-match">
        <Link to={`/o/${orgId}/football`}>← Matches</Link>
        <Alert testId="match-error">{match.error}</Alert>
      </section>
    );
  }
  if (!detail) return <Spinner />;

  return (
    <section data-testid="page-match" data-match-id={detail.id} style={{ "--fb-home": colours.home, "--fb-away": colours.away } as CSSProperties}>
      <nav className="small fb-breadcrumb">
        <Link to={`/o/${orgId}/football`}>← Matches</Link>
      </nav>
      <header className="fb-match-header">
        <div className="fb-scoreboard" data-testid="match-title">
          <span className="fb-team-name">
            <i className="fb-swatch" style={{ background: colours.home }} /> {detail.home.name}
          </span>
          <span className="fb-score">
            {detail.home.score ?? "–"} : {detail.away.score ?? "–"}
          </span>
          <span className="fb-team-name">
            {detail.away.name} <i className="fb-swatch" style={{ background: colours.away }} />
          </span>
        </div>
        <div className="muted small fb-meta">
          <span>{detail.name}</span>
          {detail.competition && <span>{detail.competition}</span>}
          {detail.date && <span>{formatDay(detail.date.slice(0, 10))}</span>}
          <span>{detail.provider}</span>
          {detail.has_tracking && (
            <span>
              {detail.frame_rate ?? "?"} Hz · {detail.n_frames.toLocaleString()} frames · coverage {percent(detail.coverage)}
            </span>
          )}
          <MatchStatusBadge status={detail.status} />
        </div>
        <div className="fb-header-actions">
          {confirmDelete ? (
            <InlineConfirm question="Delete this match and its clips?" confirmLabel="Delete" busyLabel="Deleting…" busy={deleting} onConfirm={() => void remove()} onCancel={() => setConfirmDelete(false)} />
          ) : (
            <button type="button" className="button button-small button-danger-outline" onClick={() => setConfirmDelete(true)}>
              Delete match
            </button>
          )}
        </div>
      </header>
      {deleteError && <Alert onDismiss={() => setDeleteError(null)}>{deleteError}</Alert>}
      {detail.warnings.length > 0 && (
        <Alert kind="warning" testId="match-warnings">
          <ul className="fb-warnings">
            {detail.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </Alert>
      )}
      {detail.status !== "ready" ? (
        <div className="card empty" data-testid="match-not-ready">
          {detail.status === "importing" ? <Spinner label="This match is still being imported…" /> : <p>The import of this match failed.</p>}
        </div>
      ) : (
        <>
          <div ref={playerBox}>
            {detail.has_tracking ? (
              <MatchPlayer ref={playerRef} orgId={orgId} match={detail} cache={frames} events={events} initialTime={initialTime} highlightPlayerId={highlight} />
            ) : (
              <div className="card muted">This match has no tracking data: there is nothing to play in 2D.</div>
            )}
          </div>
          <div className="fb-tabs" role="tablist" aria-label="Match analysis">
            {TABS.map((item) => (
              <button
                key={item.id}
                type="button"
                role="tab"
                aria-selected={tab === item.id}
                className={`fb-tab${tab === item.id ? " active" : ""}`}
                onClick={() => setTab(item.id)}
                data-testid={`tab-button-${item.id}`}
              >
                {item.label}
              </button>
            ))}
          </div>
          <div role="tabpanel">
            {tab === "players" && <PlayersTab orgId={orgId} match={detail} />}
            {tab === "teams" && <TeamsTab orgId={orgId} match={detail} colours={colours} />}
            {tab === "moments" && <MomentsTab orgId={orgId} match={detail} onJump={jump} currentTime={currentTime} />}
            {tab === "events" && <EventsTab match={detail} events={events} onJump={jump} />}
          </div>
        </>
      )}
    </section>
  );
}
