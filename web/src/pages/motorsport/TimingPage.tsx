// One F1 session live: the timing tower, track status, race control and replay controls.
// The state is the REST snapshot kept current by the session's public channel (./timing.ts);
// renders are batched, since a fast replay publishes hundreds of deltas a second.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { Alert, Badge, PageHeader, Spinner } from "../../components/ui";
import { useSession } from "../../state/session";
import { useLoad } from "../football/common";
import { CommentaryFeed } from "./CommentaryFeed";
import { changeReplay, getSession, getSnapshot, startReplay, stopReplay } from "./api";
import { REPLAY_TONES } from "./SessionList";
import { TimingFeed, type Snapshot } from "./timing";
import { RaceControlFeed, TimingTower, TrackStatusBanner } from "./Tower";
import { WinProbabilityChart } from "./WinProbability";

const RENDER_EVERY_MS = 150;
const POLL_MS = 2000;
const SPEEDS: (number | null)[] = [1, 2, 5, 10, 25, 50, 100, null];
const REPLAY_ROLES = new Set(["owner", "coach"]);

/** The session's live state: snapshot + channel deltas, reloaded on gaps. */
function useTiming(sessionId: string): { snapshot: Snapshot | null; error: string | null } {
  const { live } = useSession();
  const feed = useRef(new TimingFeed());
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const renderTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const loading = useRef(false);

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
    const unsubscribe = live.subscribe<Record<string, unknown>>(`public:f1:${sessionId}`, {
      onEvent(e) {
        feed.current.event({ seq: e.seq, event: e.event, data: e.data });
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
      if (renderTimer.current) clearTimeout(renderTimer.current);
      renderTimer.current = null;
    };
  }, [live, sessionId, reload, render]);

  return { snapshot, error };
}

export function TimingPage() {
  const { orgId = "", sessionId = "" } = useParams();
  const { me } = useSession();
  const info = useLoad(() => getSession(sessionId), [sessionId]);
  const { snapshot, error } = useTiming(sessionId);
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
      {snapshot && <TrackStatusBanner status={session?.track_status ?? "unknown"} message={session?.track_message ?? null} />}
      {REPLAY_ROLES.has(role ?? "") && (
        <ReplayControls orgId={orgId} sessionId={sessionId} state={replayState} speed={snapshot?.replay?.speed ?? null} />
      )}
      {!snapshot ? (
        <Spinner />
      ) : (
        <div style={{ display: "grid", gridTemplateColumns: "minmax(0, 3fr) minmax(16rem, 1fr)", gap: "1rem", alignItems: "start" }}>
          <TimingTower snapshot={snapshot} />
          <div>
            <CommentaryFeed sessionId={sessionId} />
            <RaceControlFeed messages={snapshot.race_control} />
          </div>
        </div>
      )}
      {snapshot && <WinProbabilityChart sessionId={sessionId} currentLap={session?.lap ?? null} />}
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
