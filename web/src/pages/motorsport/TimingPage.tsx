// One F1 session live: the timing tower, track status, race control, commentary, win probability
// and replay controls. The state is the REST snapshot kept current by the session's public channel
// (./timing.ts), including the pushed commentary and win probability; renders are batched, since a
// fast replay publishes hundreds of deltas a second. The user's preferences (stored on the server)
// pick the commentary style, highlight and notify favourite drivers, and delay incoming updates to
// line the page up with a TV broadcast.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { Alert, Badge, PageHeader, Spinner } from "../../components/ui";
import { useSession } from "../../state/session";
import { useLoad } from "../football/common";
import { CommentaryFeed } from "./CommentaryFeed";
import { changeReplay, getSession, getSnapshot, startReplay, stopReplay } from "./api";
import {
  DEFAULT_PREFS, MAX_DELAY_S, favouriteLine, favouriteNumbers, getPrefs, loadPhrase, parseFavourites, putPrefs, savePhrase,
  type MotorsportPrefs,
} from "./commentaryPrefs";
import { REPLAY_TONES } from "./SessionList";
import { DelayBuffer, TimingFeed, type ChannelEvent, type PushedLine, type Snapshot } from "./timing";
import { RaceControlFeed, TimingTower, TrackStatusBanner } from "./Tower";
import { WinProbabilityChart } from "./WinProbability";

const RENDER_EVERY_MS = 150;
const POLL_MS = 2000;
const RELEASE_EVERY_MS = 250;
const TOAST_MS = 6000;
const SPEEDS: (number | null)[] = [1, 2, 5, 10, 25, 50, 100, null];
const REPLAY_ROLES = new Set(["owner", "coach"]);

/**
 * The session's live state: snapshot + channel events, reloaded on gaps. With a broadcast delay,
 * events wait in a buffer for `delayS` seconds before they are applied (a reload on a gap shows
 * the server's present state at once). `onApplied` sees each event as it is applied.
 */
function useTiming(sessionId: string, delayS: number, onApplied: (event: ChannelEvent) => void): { snapshot: Snapshot | null; error: string | null } {
  const { live } = useSession();
  const feed = useRef(new TimingFeed());
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const renderTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const loading = useRef(false);
  const buffer = useRef(new DelayBuffer<ChannelEvent>());
  const delay = useRef(delayS);
  delay.current = delayS;
  const applied = useRef(onApplied);
  applied.current = onApplied;

  const render = useCallback(() => {
    if (renderTimer.current) return;
    renderTimer.current = setTimeout(() => {
      renderTimer.current = null;
      const current = feed.current.snapshot;
      setSnapshot(current ? { ...current } : null);
    }, RENDER_EVERY_MS);
  }, []);

  const reload = useCallback(async () => {
    if (loading.current) return;
    loading.current = true;
    try {
      feed.current.load(await getSnapshot(sessionId));
      setError(null);
      render();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      loading.current = false;
    }
    // A stored snapshot can be older than the events held: try again once it has moved on.
    if (feed.current.needsReload) setTimeout(() => void reload(), 1000);
  }, [sessionId, render]);

  useEffect(() => {
    feed.current = new TimingFeed();
    if (!live) {
      void reload();
      const poll = setInterval(() => void reload(), POLL_MS);
      return () => clearInterval(poll);
    }
    const apply = (item: ChannelEvent) => {
      const before = feed.current.snapshot?.seq ?? -1;
      feed.current.event(item);
      if ((feed.current.snapshot?.seq ?? -1) > before) applied.current(item);
    };
    const release = () => {
      const due = buffer.current.due(Date.now(), delay.current);
      if (!due.length) return;
      for (const item of due) apply(item);
      if (feed.current.needsReload) void reload();
      render();
    };
    const releaser = setInterval(release, RELEASE_EVERY_MS);
    const unsubscribe = live.subscribe<Record<string, unknown>>(`public:f1:${sessionId}`, {
      onEvent(e) {
        const item = { seq: e.seq, event: e.event, data: e.data };
        if (delay.current > 0 || buffer.current.size > 0) {
          buffer.current.push(item, Date.now()); // released in order by the timer
          return;
        }
        apply(item);
        if (feed.current.needsReload) void reload();
        render();
      },
      onSubscribed() {
        void reload();
      },
      onGap() {
        feed.current.gap();
        void reload();
      },
      onError(info) {
        setError(info.message);
      },
    });
    return () => {
      unsubscribe();
      clearInterval(releaser);
      buffer.current.clear();
      if (renderTimer.current) clearTimeout(renderTimer.current);
      renderTimer.current = null;
    };
  }, [live, sessionId, reload, render]);

  return { snapshot, error };
}

/** The user's motorsport preferences from the server; `save` stores a change (422s shown as errors). */
function usePrefs(): { prefs: MotorsportPrefs; error: string | null; save(change: Partial<MotorsportPrefs>): void } {
  const [prefs, setPrefs] = useState<MotorsportPrefs>(DEFAULT_PREFS);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    getPrefs().then((p) => live && setPrefs(p), () => undefined); // an API key session has none: defaults
    return () => { live = false; };
  }, []);
  const save = useCallback((change: Partial<MotorsportPrefs>) => {
    setPrefs((current) => {
      const next = { ...current, ...change };
      putPrefs(next).then((stored) => { setPrefs(stored); setError(null); }, (err) => setError(errorMessage(err)));
      return next;
    });
  }, []);
  return { prefs, error, save };
}

function PreferencesPanel({ prefs, error, save }: { prefs: MotorsportPrefs; error: string | null; save(change: Partial<MotorsportPrefs>): void }) {
  const [favourites, setFavourites] = useState(prefs.favourite_drivers.join(", "));
  useEffect(() => setFavourites(prefs.favourite_drivers.join(", ")), [prefs.favourite_drivers]);
  return (
    <div className="card small" data-testid="f1-preferences" style={{ display: "flex", gap: "1rem", alignItems: "center", flexWrap: "wrap" }}>
      <strong>Your preferences</strong>
      <label>
        Commentary{" "}
        <select value={prefs.commentary_style} data-testid="f1-commentary-style"
          onChange={(e) => save({ commentary_style: e.target.value === "technical" ? "technical" : "casual" })}>
          <option value="casual">casual</option>
          <option value="technical">technical</option>
        </select>
      </label>
      <label>
        Favourite drivers{" "}
        <input size={14} placeholder="44, VER" value={favourites} data-testid="f1-favourites"
          onChange={(e) => setFavourites(e.target.value)}
          onBlur={() => save({ favourite_drivers: parseFavourites(favourites) })}
          onKeyDown={(e) => { if (e.key === "Enter") save({ favourite_drivers: parseFavourites(favourites) }); }} />
      </label>
      <label title="Holds live updates back, to line the page up with a TV broadcast">
        Broadcast delay{" "}
        <input type="number" min={0} max={MAX_DELAY_S} style={{ width: "4.5rem" }} value={prefs.broadcast_delay_s} data-testid="f1-delay"
          onChange={(e) => save({ broadcast_delay_s: Math.max(0, Math.min(MAX_DELAY_S, Math.round(Number(e.target.value) || 0))) })} /> s
      </label>
      {error && <span className="error-text">{error}</span>}
    </div>
  );
}

function Toast({ line, onClose }: { line: PushedLine; onClose(): void }) {
  useEffect(() => {
    const timer = setTimeout(onClose, TOAST_MS);
    return () => clearTimeout(timer);
  }, [line, onClose]);
  return (
    <div role="status" data-testid="f1-toast" className="card small" onClick={onClose}
      style={{ position: "fixed", right: "1rem", bottom: "1rem", zIndex: 50, maxWidth: "24rem", boxShadow: "0 4px 16px rgba(0,0,0,0.3)", cursor: "pointer" }}>
      <strong>Lap {line.lap ?? "–"}</strong> · {line.text}
    </div>
  );
}

export function TimingPage() {
  const { orgId = "", sessionId = "" } = useParams();
  const { me } = useSession();
  const info = useLoad(() => getSession(sessionId), [sessionId]);
  const { prefs, error: prefsError, save } = usePrefs();
  const [phrase, setPhrase] = useState(() => loadPhrase());
  const [toast, setToast] = useState<PushedLine | null>(null);
  const favouritesRef = useRef<Set<string>>(new Set());
  const prefsStyle = useRef(prefs.commentary_style);
  prefsStyle.current = prefs.commentary_style;
  // A notification when a line about a favourite driver arrives (after the broadcast delay).
  const onApplied = useCallback((event: ChannelEvent) => {
    if (event.event !== "commentary") return;
    const line = favouriteLine((event.data.lines as PushedLine[] | undefined) ?? [], favouritesRef.current);
    if (line) setToast({ ...line, text: line.texts?.[prefsStyle.current] ?? line.text });
  }, []);
  const closeToast = useCallback(() => setToast(null), []);
  const { snapshot, error } = useTiming(sessionId, prefs.broadcast_delay_s, onApplied);
  const drivers = useMemo(() => Object.values(snapshot?.drivers ?? {}), [snapshot?.drivers]);
  const favourites = useMemo(() => favouriteNumbers(prefs.favourite_drivers, drivers), [prefs.favourite_drivers, drivers]);
  favouritesRef.current = favourites;
  const role = me?.memberships.find((m) => m.organisation.id === orgId)?.role;
  const session = snapshot?.session;
  const leader = useMemo(() => {
    if (!snapshot) return null;
    return Object.values(snapshot.drivers).find((d) => d.position === 1) ?? null;
  }, [snapshot]);
  const replayState = snapshot?.replay?.state ?? info.data?.replay.state ?? "none";

  return (
    <div data-testid="f1-timing">
      <PageHeader title={info.data?.name ?? "F1 session"}>
        <Link to=".." relative="path" className="button">All sessions</Link>
        <Link to="analysis" className="button" data-testid="f1-analysis-link">Analysis</Link>
      </PageHeader>
      {(error || info.error) && <Alert>{error ?? info.error}</Alert>}
      <div className="card" style={{ display: "flex", gap: "1.5rem", alignItems: "center", flexWrap: "wrap" }}>
        <strong data-testid="f1-lap">
          Lap {session?.lap ?? "–"} / {session?.total_laps ?? "–"}
        </strong>
        <span>
          Leader: <strong data-testid="f1-leader">{leader ? leader.tla ?? leader.number : "–"}</strong>
        </span>
        <span className="muted small">Status: {session?.status ?? "–"}</span>
        <Badge tone={REPLAY_TONES[replayState] ?? "neutral"} testId="f1-replay-state">
          replay {replayState}
        </Badge>
        {snapshot?.replay?.speed !== undefined && replayState === "running" && (
          <span className="muted small" data-testid="f1-replay-speed">{snapshot.replay.speed === null ? "max speed" : `${snapshot.replay.speed}x`}</span>
        )}
      </div>
      <PreferencesPanel prefs={prefs} error={prefsError} save={save} />
      {prefs.broadcast_delay_s > 0 && (
        <p className="muted small" data-testid="f1-delay-note">Showing the session {prefs.broadcast_delay_s} s behind live.</p>
      )}
      {snapshot && <TrackStatusBanner status={session?.track_status ?? "unknown"} message={session?.track_message ?? null} />}
      {REPLAY_ROLES.has(role ?? "") && (
        <ReplayControls orgId={orgId} sessionId={sessionId} state={replayState} speed={snapshot?.replay?.speed ?? null} />
      )}
      {!snapshot ? (
        <Spinner />
      ) : (
        <div style={{ display: "grid", gridTemplateColumns: "minmax(0, 3fr) minmax(16rem, 1fr)", gap: "1rem", alignItems: "start" }}>
          <TimingTower snapshot={snapshot} favourites={favourites} />
          <div>
            <CommentaryFeed sessionId={sessionId} pushed={snapshot.commentary} style={prefs.commentary_style} favourites={favourites}
              phrase={phrase} onPhrase={(on) => { savePhrase(on); setPhrase(on); }} />
            <RaceControlFeed messages={snapshot.race_control} />
          </div>
        </div>
      )}
      {snapshot && (
        <WinProbabilityChart sessionId={sessionId} currentLap={session?.lap ?? null} pushed={snapshot.win_probability}
          drivers={drivers} totalLaps={session?.total_laps ?? null} />
      )}
      {toast && <Toast line={toast} onClose={closeToast} />}
    </div>
  );
}

function ReplayControls({ orgId, sessionId, state, speed }: { orgId: string; sessionId: string; state: string; speed: number | null }) {
  const [chosen, setChosen] = useState<number | null>(speed ?? 10);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const active = state === "running" || state === "paused" || state === "queued";
  useEffect(() => {
    if (active) setChosen(speed); // show the speed the replay runs at, whoever set it
  }, [active, speed]);

  async function act(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card" style={{ display: "flex", gap: "0.75rem", alignItems: "center", flexWrap: "wrap" }} data-testid="f1-replay-controls">
      <label>
        Speed{" "}
        <select
          value={chosen === null ? "max" : String(chosen)}
          data-testid="f1-speed"
          onChange={(e) => {
            const next = e.target.value === "max" ? null : Number(e.target.value);
            setChosen(next);
            if (active) void act(() => changeReplay(orgId, sessionId, { speed: next }));
          }}
        >
          {SPEEDS.map((s) => (
            <option key={String(s)} value={s === null ? "max" : String(s)}>{s === null ? "max" : `${s}x`}</option>
          ))}
        </select>
      </label>
      {!active && (
        <button type="button" className="button button-primary" disabled={busy} data-testid="f1-replay-start" onClick={() => void act(() => startReplay(orgId, sessionId, chosen))}>
          Start replay
        </button>
      )}
      {state === "running" && (
        <button type="button" className="button" disabled={busy} data-testid="f1-replay-pause" onClick={() => void act(() => changeReplay(orgId, sessionId, { paused: true }))}>
          Pause
        </button>
      )}
      {state === "paused" && (
        <button type="button" className="button" disabled={busy} data-testid="f1-replay-resume" onClick={() => void act(() => changeReplay(orgId, sessionId, { paused: false }))}>
          Resume
        </button>
      )}
      {active && (
        <button type="button" className="button" disabled={busy} data-testid="f1-replay-stop" onClick={() => void act(() => stopReplay(orgId, sessionId))}>
          Stop
        </button>
      )}
      {error && <span className="error-text small">{error}</span>}
    </div>
  );
}
