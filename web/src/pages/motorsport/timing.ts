// The live timing model: a session snapshot kept current by the deltas of its public channel
// (`public:f1:<session_id>`, docs/motorsport.md "Live timing"). Pure logic, unit-tested.
//
// Protocol: the snapshot's `seq` is the channel seq of the last event it includes. Events with
// seq <= snapshot.seq are already in it; the next must be snapshot.seq + 1, otherwise (or on a
// server `gap`) the snapshot is reloaded and the events that arrived meanwhile are re-applied.
// A `replay` event that carries a `snapshot` (a replay starting) replaces the state outright.

export interface SectorTime {
  time: number | null;
  personal_best: boolean;
  overall_best: boolean;
}

export interface DriverTiming {
  number: string;
  tla: string | null;
  name: string | null;
  team: string | null;
  team_colour: string | null;
  position: number | null;
  gap_to_leader: string | null;
  interval: string | null;
  laps: number;
  last_lap: number | null;
  last_lap_personal_best: boolean;
  last_lap_overall_best: boolean;
  best_lap: number | null;
  sectors: SectorTime[];
  in_pit: boolean;
  pit_stops: number;
  compound: string | null;
  tyre_age: number | null;
  status: string;
  [field: string]: unknown;
}

export interface RaceControlMessage {
  t: number;
  utc: string | null;
  lap: number | null;
  category: string | null;
  flag: string | null;
  message: string;
}

export interface LapRow {
  driver: string;
  lap: number;
  lap_time: number | null;
}

/** A commentary line pushed on the channel (`commentary` events): both styles in `texts`. */
export interface PushedLine {
  id: string;
  kind: string;
  t: number;
  lap: number | null;
  drivers: string[];
  text: string;
  texts?: Record<string, string>;
  template: string;
  data: Record<string, unknown>;
  source: { table: string; rows: Record<string, unknown>[] };
  highlight?: boolean;
  phrased_by?: string;
}

/** Win probability per car number after one leader lap (`win_probability` events; lap 0: the prior). */
export interface WinPoint {
  lap: number;
  prior?: string;
  probabilities: Record<string, number>;
}

export interface Snapshot {
  seq: number;
  t: number | null;
  session: {
    status: string | null;
    lap: number | null;
    total_laps: number | null;
    track_status: string;
    track_message: string | null;
    winner: string | null;
    chequered: boolean;
    name?: string | null;
    meeting?: string | null;
    [field: string]: unknown;
  };
  drivers: Record<string, DriverTiming>;
  race_control: RaceControlMessage[];
  fastest_lap: LapRow | null;
  classification: Record<string, unknown>[];
  replay?: { state: string; speed: number | null };
  /** Present when the session was played by a server that pushes commentary (else: fetch it). */
  commentary?: PushedLine[];
  win_probability?: WinPoint[];
  [field: string]: unknown;
}

export interface ChannelEvent {
  seq: number;
  event: string;
  data: Record<string, unknown>;
}

/** Patch `snapshot` with one channel event (in place); returns the state to keep. */
export function applyEvent(snapshot: Snapshot, event: string, data: Record<string, unknown>): Snapshot {
  if (event === "replay") {
    const next = (data.snapshot as Snapshot | undefined) ?? snapshot;
    next.replay = { state: String(data.state), speed: (data.speed as number | null) ?? null };
    next.seq = data.seq as number;
    return next;
  }
  if (event === "deltas") {
    // The deltas of one feed message, published as one event.
    for (const delta of (data.deltas as Record<string, unknown>[] | undefined) ?? []) snapshot = applyEvent(snapshot, "delta", delta);
    snapshot.seq = data.seq as number;
    return snapshot;
  }
  if (event === "commentary") {
    snapshot.commentary = [...(snapshot.commentary ?? []), ...((data.lines as PushedLine[] | undefined) ?? [])];
    snapshot.seq = data.seq as number;
    return snapshot;
  }
  if (event === "win_probability") {
    const point: WinPoint = { lap: data.lap as number, prior: data.prior as string | undefined, probabilities: data.probabilities as Record<string, number> };
    snapshot.win_probability = [...(snapshot.win_probability ?? []).filter((p) => p.lap !== point.lap), point];
    snapshot.seq = data.seq as number;
    return snapshot;
  }
  switch (data.kind) {
    case "driver": {
      const number = String(data.driver);
      const current = snapshot.drivers[number] ?? ({ number } as DriverTiming);
      snapshot.drivers[number] = { ...current, ...(data.set as Partial<DriverTiming>) };
      break;
    }
    case "session":
      snapshot.session = { ...snapshot.session, ...(data.set as Snapshot["session"]) };
      break;
    case "race_control":
      snapshot.race_control = [...snapshot.race_control, data.message as RaceControlMessage];
      break;
    case "fastest_lap":
      snapshot.fastest_lap = (data.lap as LapRow | null) ?? null;
      break;
    case "classification":
      snapshot.classification = data.rows as Record<string, unknown>[];
      break;
  }
  snapshot.seq = data.seq as number;
  return snapshot;
}

const MAX_PENDING = 50_000;

/** Holds the state across snapshot loads, events, gaps and reloads. */
export class TimingFeed {
  snapshot: Snapshot | null = null;
  /** True when the snapshot must be (re)loaded before events can be applied. */
  needsReload = true;
  private pending: ChannelEvent[] = [];

  event(item: ChannelEvent): void {
    const resets = item.event === "replay" && item.data.snapshot !== undefined;
    if (resets) {
      this.snapshot = applyEvent(this.snapshot ?? (item.data.snapshot as Snapshot), item.event, item.data);
      this.needsReload = false;
      this.pending = this.pending.filter((e) => e.seq > item.seq);
      return;
    }
    if (this.needsReload || !this.snapshot) {
      this.hold(item);
      return;
    }
    if (item.seq <= this.snapshot.seq) return; // already in the snapshot
    if (item.seq !== this.snapshot.seq + 1) {
      // Missed events that the server did not report: reload, keeping what came.
      this.needsReload = true;
      this.hold(item);
      return;
    }
    this.snapshot = applyEvent(this.snapshot, item.event, item.data);
  }

  /** The server lost events for us: reload the snapshot. */
  gap(): void {
    this.needsReload = true;
  }

  /** A snapshot arrived from the REST API: apply the held events that follow it. */
  load(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.needsReload = false;
    const held = this.pending.sort((a, b) => a.seq - b.seq);
    this.pending = [];
    for (const item of held) this.event(item);
  }

  private hold(item: ChannelEvent) {
    if (this.pending.length >= MAX_PENDING) this.pending = [];
    this.pending.push(item);
  }
}

/**
 * Holds channel events back by a delay (to line the page up with a TV broadcast that runs behind
 * the live timing): `push` stamps each with its arrival time, `due` hands back those that have
 * waited `delayS` seconds, in arrival order. With no delay, everything is due at once.
 */
export class DelayBuffer<T> {
  private queue: { at: number; item: T }[] = [];

  push(item: T, nowMs: number): void {
    this.queue.push({ at: nowMs, item });
  }

  due(nowMs: number, delayS: number): T[] {
    const cutoff = nowMs - delayS * 1000;
    let n = 0;
    while (n < this.queue.length && this.queue[n].at <= cutoff) n += 1;
    return this.queue.splice(0, n).map((entry) => entry.item);
  }

  get size(): number {
    return this.queue.length;
  }

  clear(): void {
    this.queue = [];
  }
}

/** Driver numbers in running order (position, then number). */
export function runningOrder(snapshot: Snapshot): DriverTiming[] {
  return Object.values(snapshot.drivers).sort(
    (a, b) => (a.position ?? 999) - (b.position ?? 999) || Number(a.number) - Number(b.number),
  );
}

/** 105.149 -> "1:45.149"; 37.4 -> "37.400"; null -> "". */
export function formatLapTime(seconds: number | null | undefined): string {
  if (seconds == null) return "";
  const minutes = Math.floor(seconds / 60);
  const rest = (seconds - minutes * 60).toFixed(3);
  return minutes > 0 ? `${minutes}:${rest.padStart(6, "0")}` : rest;
}

/** "purple" for the session's best, "green" for a personal best, "" otherwise. */
export function timeMark(overallBest: boolean, personalBest: boolean): "purple" | "green" | "" {
  return overallBest ? "purple" : personalBest ? "green" : "";
}

/** The best-lap mark: purple for the holder of the session's fastest lap. */
export function bestLapMark(driver: DriverTiming, fastest: LapRow | null): "purple" | "" {
  return fastest && fastest.driver === driver.number && driver.best_lap === fastest.lap_time ? "purple" : "";
}

export const TRACK_STATUS_LABELS: Record<string, string> = {
  green: "Track clear",
  yellow: "Yellow flag",
  sc: "Safety car",
  vsc: "Virtual safety car",
  vsc_ending: "VSC ending",
  red: "Red flag",
  unknown: "Track status unknown",
};
