import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, LiveConnection, type LiveEvent } from "./live";

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
const CH = "org:1:jobs";

describe("backoffDelay", () => {
  it("grows exponentially with jitter and a cap", () => {
    expect(backoffDelay(0, 500, 30000, () => 0.5)).toBe(500);
    expect(backoffDelay(3, 500, 30000, () => 0.5)).toBe(4000);
    expect(backoffDelay(30, 500, 30000, () => 0.5)).toBe(30000);
    expect(backoffDelay(0, 500, 30000, () => 0)).toBe(375);
    expect(backoffDelay(0, 500, 30000, () => 1)).toBe(625);
  });
});

describe("LiveConnection", () => {
  let conn: LiveConnection;
  let tokens: string[];
  let rejected: number;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    FakeSocket.all = [];
    tokens = ["t1", "t2", "t3", "t4"];
    rejected = 0;
    conn = new LiveConnection({
      url: async () => `ws://x/api/v1/ws?token=${tokens.shift()}`,
      onAuthRejected: async () => {
        rejected += 1;
      },
      createSocket: (url) => new FakeSocket(url),
      random: () => 0.5,
    });
  });
  afterEach(() => {
    conn.close();
    vi.useRealTimers();
  });

  async function connected() {
    await flush();
    expect(FakeSocket.all.length).toBeGreaterThan(0);
    return FakeSocket.all[FakeSocket.all.length - 1];
  }

  it("subscribes, delivers events once, and resumes from the last seq after a drop", async () => {
    const events: LiveEvent[] = [];
    const subscribed = vi.fn();
    conn.subscribe(CH, { onEvent: (e) => events.push(e), onSubscribed: subscribed });
    const s1 = await connected();
    s1.open();
    expect(s1.sent).toEqual([{ type: "subscribe", channel: CH, since: null }]);
    s1.receive({ type: "subscribed", channel: CH, seq: 7 });
    expect(conn.status).toBe("live");
    expect(subscribed).toHaveBeenCalledWith({ seq: 7, resumedFrom: null });
    s1.receive({ type: "event", channel: CH, seq: 8, event: "job.updated", data: { id: "a" } });
    s1.receive({ type: "event", channel: CH, seq: 8, event: "job.updated", data: { id: "a" } }); // duplicate
    s1.receive({ type: "event", channel: CH, seq: 9, event: "job.updated", data: { id: "b" } });
    s1.receive({ type: "event", channel: "org:2:jobs", seq: 10, event: "job.updated", data: {} }); // not ours
    expect(events.map((e) => e.seq)).toEqual([8, 9]);

    s1.drop();
    expect(conn.status).toBe("reconnecting");
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500); // first backoff step
    const s2 = await connected();
    expect(s2).not.toBe(s1);
    expect(s2.url).toContain("token=t2");
    s2.open();
    expect(s2.sent).toEqual([{ type: "subscribe", channel: CH, since: 9 }]);
    s2.receive({ type: "subscribed", channel: CH, seq: 11 });
    s2.receive({ type: "event", channel: CH, seq: 9, event: "job.updated", data: {} }); // replayed, seen
    s2.receive({ type: "event", channel: CH, seq: 10, event: "job.updated", data: {} });
    s2.receive({ type: "event", channel: CH, seq: 11, event: "job.updated", data: {} });
    expect(events.map((e) => e.seq)).toEqual([8, 9, 10, 11]);
    expect(conn.seqOf(CH)).toBe(11);
  });

  it("backs off exponentially while the server is down", async () => {
    conn.subscribe(CH, { onEvent: () => {} });
    (await connected()).drop();
    await vi.advanceTimersByTimeAsync(499);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].drop();
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeSocket.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(FakeSocket.all).toHaveLength(3);
  });

  it("asks for a fresh token after an auth close (4401)", async () => {
    conn.subscribe(CH, { onEvent: () => {} });
    const s1 = await connected();
    s1.open();
    s1.drop(4401);
    await flush();
    expect(rejected).toBe(1);
  });

  it("follows a restarted server's numbering and reports gaps", async () => {
    const events: number[] = [];
    const gaps: (number | null)[] = [];
    conn.subscribe(CH, { onEvent: (e) => events.push(e.seq), onGap: (g) => gaps.push(g.seq) });
    const s1 = await connected();
    s1.open();
    s1.receive({ type: "subscribed", channel: CH, seq: 50 });
    s1.drop();
    await vi.advanceTimersByTimeAsync(500);
    const s2 = await connected();
    s2.open();
    expect(s2.sent[0]).toMatchObject({ since: 50 });
    s2.receive({ type: "subscribed", channel: CH, seq: 2 }); // restarted: seq went back
    s2.receive({ type: "event", channel: CH, seq: 3, event: "job.updated", data: {} });
    s2.receive({ type: "gap", channel: CH, seq: 20, reason: "too far behind" });
    s2.receive({ type: "event", channel: CH, seq: 15, event: "job.updated", data: {} }); // before the gap
    s2.receive({ type: "event", channel: CH, seq: 21, event: "job.updated", data: {} });
    expect(events).toEqual([3, 21]);
    expect(gaps).toEqual([20]);
  });

  it("pings and closes a silent connection", async () => {
    conn = new LiveConnection({
      url: async () => "ws://x/ws?token=t",
      createSocket: (url) => new FakeSocket(url),
      pingIntervalMs: 1000,
      random: () => 0.5,
    });
    conn.subscribe(CH, { onEvent: () => {} });
    const s1 = await connected();
    s1.open();
    await vi.advanceTimersByTimeAsync(1000);
    expect(s1.sent).toContainEqual({ type: "ping" });
    await vi.advanceTimersByTimeAsync(2000);
    expect(s1.readyState).toBe(3); // no pong for 2.5 intervals: closed, will reconnect
    expect(conn.status).toBe("reconnecting");
  });
});
