// One WebSocket per session for live events, with automatic reconnects (exponential backoff with
// jitter) that resume each channel from the last `seq` seen, so no event is missed or applied twice.

export type LiveStatus = "idle" | "connecting" | "live" | "reconnecting";

export interface LiveEvent<T = unknown> {
  type: "event";
  channel: string;
  seq: number;
  event: string;
  data: T;
}

export interface LiveHandlers<T = unknown> {
  /** Each new event, in seq order, at most once. */
  onEvent(event: LiveEvent<T>): void;
  /** The server confirmed the subscription (after every (re)connect); a good moment to resync. */
  onSubscribed?(info: { seq: number | null; resumedFrom: number | null }): void;
  /** Events were lost (no longer buffered by the server): reload the state from the REST API. */
  onGap?(info: { seq: number | null; reason: string }): void;
  /** The server refused the channel (e.g. not_found, forbidden). */
  onError?(info: { code: string; message: string }): void;
}

interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface LiveOptions {
  /** The ws(s):// URL to connect to (may refresh the token first); null means "not logged in". */
  url(): Promise<string | null>;
  /** Called when the server closed the socket for an auth reason, before the next attempt. */
  onAuthRejected?(): Promise<unknown>;
  createSocket?(url: string): SocketLike;
  baseDelayMs?: number;
  maxDelayMs?: number;
  pingIntervalMs?: number;
  random?(): number;
}

/** The delay before reconnect attempt `attempt` (0-based): base * 2^attempt, capped, with +-25% jitter. */
export function backoffDelay(attempt: number, baseMs = 500, maxMs = 30_000, random: () => number = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(raw * (0.75 + random() * 0.5));
}

const OPEN = 1;
const AUTH_CLOSE_CODES = new Set([1008, 4001, 4003, 4401, 4403]);

export class LiveConnection {
  private socket: SocketLike | null = null;
  private readonly channels = new Map<string, Set<LiveHandlers<never>>>();
  /** The last seq seen per channel; survives reconnects. */
  private readonly lastSeq = new Map<string, number>();
  private readonly sentSince = new Map<string, number | null>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private closed = false;
  private connecting = false;
  private statusValue: LiveStatus = "idle";
  private readonly statusListeners = new Set<(s: LiveStatus) => void>();
  private readonly options: LiveOptions;

  constructor(options: LiveOptions) {
    this.options = options;
  }

  get status(): LiveStatus {
    return this.statusValue;
  }

  onStatus(listener: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  seqOf(channel: string): number | null {
    return this.lastSeq.get(channel) ?? null;
  }

  subscribe<T>(channel: string, handlers: LiveHandlers<T>): () => void {
    let set = this.channels.get(channel);
    const isNew = !set;
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(handlers as LiveHandlers<never>);
    if (isNew && this.socket?.readyState === OPEN) this.sendSubscribe(channel);
    this.ensureConnected();
    return () => {
      const current = this.channels.get(channel);
      current?.delete(handlers as LiveHandlers<never>);
      if (current && current.size === 0) {
        this.channels.delete(channel);
        this.send({ type: "unsubscribe", channel });
      }
    };
  }

  /** Reconnect now (e.g. the browser came back online) instead of waiting for the backoff. */
  reconnectNow(): void {
    if (this.closed || this.socket || this.connecting) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, "bye");
    }
    this.setStatus("idle");
  }

  private ensureConnected() {
    if (this.closed || this.socket || this.timer || this.connecting) return;
    void this.connect();
  }

  private setStatus(status: LiveStatus) {
    if (status === this.statusValue) return;
    this.statusValue = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private async connect() {
    if (this.closed) return;
    this.setStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    let url: string | null;
    this.connecting = true;
    try {
      url = await this.options.url();
    } catch {
      url = null;
    } finally {
      this.connecting = false;
    }
    if (this.closed || this.socket) return;
    if (!url) {
      this.scheduleReconnect();
      return;
    }
    const socket = this.options.createSocket ? this.options.createSocket(url) : (new WebSocket(url) as unknown as SocketLike);
    this.socket = socket;
    socket.onopen = () => {
      this.lastMessageAt = Date.now();
      for (const channel of this.channels.keys()) this.sendSubscribe(channel);
      this.startHeartbeat();
    };
    socket.onmessage = (ev) => this.handleMessage(ev.data);
    socket.onerror = () => {
      /* onclose follows */
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopHeartbeat();
      if (this.closed) return;
      if (AUTH_CLOSE_CODES.has(ev.code) && this.options.onAuthRejected) {
        void this.options.onAuthRejected().finally(() => this.scheduleReconnect());
      } else {
        this.scheduleReconnect();
      }
    };
  }

  private scheduleReconnect() {
    if (this.closed || this.timer) return;
    this.setStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.options.baseDelayMs, this.options.maxDelayMs, this.options.random);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }

  private sendSubscribe(channel: string) {
    const since = this.lastSeq.get(channel) ?? null;
    this.sentSince.set(channel, since);
    this.send({ type: "subscribe", channel, since });
  }

  private send(message: unknown) {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private handleMessage(raw: unknown) {
    this.lastMessageAt = Date.now();
    let msg: { type?: string; channel?: string; seq?: unknown };
    try {
      msg = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (msg.type === "subscribed" && typeof msg.channel === "string") {
      this.attempt = 0;
      this.setStatus("live");
      const seq = typeof msg.seq === "number" ? msg.seq : null;
      const since = this.sentSince.get(msg.channel) ?? null;
      if (seq !== null) {
        if (since === null) {
          // First subscription: count from the server's latest seq (or later, if events came first).
          this.lastSeq.set(msg.channel, Math.max(this.lastSeq.get(msg.channel) ?? seq, seq));
        } else if (seq < since) {
          // The server's sequence restarted (e.g. it was restarted): follow its numbering from now on.
          this.lastSeq.set(msg.channel, seq);
        }
      }
      for (const h of this.channels.get(msg.channel) ?? []) h.onSubscribed?.({ seq, resumedFrom: since });
    } else if (msg.type === "event" && typeof msg.channel === "string" && typeof msg.seq === "number") {
      const last = this.lastSeq.get(msg.channel);
      if (last !== undefined && msg.seq <= last) return; // already seen (e.g. replayed twice)
      this.lastSeq.set(msg.channel, msg.seq);
      for (const h of this.channels.get(msg.channel) ?? []) h.onEvent(msg as LiveEvent<never>);
    } else if (msg.type === "gap" && typeof msg.channel === "string") {
      // Later events have seq > gap.seq; what came before must be reloaded.
      const seq = typeof msg.seq === "number" ? msg.seq : null;
      if (seq !== null) this.lastSeq.set(msg.channel, seq);
      const reason = typeof (msg as { reason?: unknown }).reason === "string" ? (msg as { reason: string }).reason : "";
      for (const h of this.channels.get(msg.channel) ?? []) h.onGap?.({ seq, reason });
    } else if (msg.type === "error") {
      const { code = "error", message = "" } = msg as { code?: string; message?: string };
      const channel = msg.channel;
      if (typeof channel !== "string") {
        console.warn("live: server error", msg);
      } else if (code === "unavailable") {
        // The server could not (or no longer) serve the channel: ask again in a while.
        setTimeout(() => {
          if (this.channels.has(channel) && this.socket?.readyState === OPEN) this.sendSubscribe(channel);
        }, backoffDelay(2, this.options.baseDelayMs, this.options.maxDelayMs, this.options.random));
      } else {
        for (const h of this.channels.get(channel) ?? []) h.onError?.({ code, message });
      }
    }
  }

  private startHeartbeat() {
    this.stopHeartbeat();
    const every = this.options.pingIntervalMs ?? 25_000;
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastMessageAt > every * 2.5) {
        this.socket?.close(4000, "heartbeat timeout"); // a dead connection: reconnect
        return;
      }
      this.send({ type: "ping" });
    }, every);
  }

  private stopHeartbeat() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

/** ws(s)://host/api/v1/ws?token=... for the page's own origin. */
export function liveUrl(token: string, location: { protocol: string; host: string } = window.location): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/api/v1/ws?token=${encodeURIComponent(token)}`;
}
