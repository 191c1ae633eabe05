import { describe, expect, it } from "vitest";
import type { Job } from "../api/types";
import { mergeSnapshot, upsertJob } from "./jobs";

const job = (id: string, patch: Partial<Job> = {}): Job =>
  ({
    id,
    type: "demo.count",
    queue: "default",
    state: "running",
    progress: 0,
    message: "",
    error: null,
    attempts: 1,
    max_attempts: 3,
    params: {},
    result: null,
    cancel_requested: false,
    created_at: `2026-11-23T10:00:0${id.length}Z`,
    started_at: null,
    finished_at: null,
    updated_at: "2026-11-23T10:00:00Z",
    ...patch,
  }) as Job;

describe("upsertJob", () => {
  it("replaces by id, ignores stale versions, inserts new ones newest first", () => {
    const list = [job("bb", { created_at: "2026-11-23T10:00:02Z" }), job("a", { created_at: "2026-11-23T10:00:01Z" })];
    const updated = upsertJob(list, job("a", { progress: 50, updated_at: "2026-11-23T10:00:05Z" }), { insertNew: true });
    expect(updated.find((j) => j.id === "a")?.progress).toBe(50);
    const stale = upsertJob(updated, job("a", { progress: 10, updated_at: "2026-11-23T10:00:01Z" }), { insertNew: true });
    expect(stale.find((j) => j.id === "a")?.progress).toBe(50);
    const inserted = upsertJob(stale, job("ccc", { created_at: "2026-11-23T10:00:09Z" }), { insertNew: true });
    expect(inserted.map((j) => j.id)).toEqual(["ccc", "bb", "a"]);
    expect(upsertJob(stale, job("ccc"), { insertNew: false })).toHaveLength(2);
  });

  it("drops a job that leaves the filter", () => {
    const list = [job("a", { state: "running" })];
    const next = upsertJob(list, job("a", { state: "succeeded", updated_at: "2026-11-23T11:00:00Z" }), {
      insertNew: true,
      matches: (j) => j.state === "running",
    });
    expect(next).toEqual([]);
  });
});

describe("mergeSnapshot", () => {
  it("keeps newer live versions and live-only new jobs", () => {
    const current = [
      job("new", { created_at: "2026-11-23T12:00:00Z" }),
      job("a", { progress: 80, updated_at: "2026-11-23T10:00:09Z" }),
    ];
    const snapshot = [job("b", { created_at: "2026-11-23T10:00:05Z" }), job("a", { progress: 40, updated_at: "2026-11-23T10:00:05Z" })];
    const merged = mergeSnapshot(current, snapshot, { insertNew: true });
    expect(merged.map((j) => j.id)).toEqual(["new", "b", "a"]);
    expect(merged.find((j) => j.id === "a")?.progress).toBe(80);
  });
});
