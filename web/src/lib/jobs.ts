// Keeping a page of jobs up to date from REST snapshots and live `job.updated` events.
import type { Job, JobState } from "../api/types";

export const ACTIVE_STATES: readonly JobState[] = ["queued", "running"];

export const isActive = (job: Pick<Job, "state">) => ACTIVE_STATES.includes(job.state);

const time = (value: string | null | undefined) => (value ? Date.parse(value) : Number.NEGATIVE_INFINITY);

/** Newest first, as the server lists them. */
export function byCreatedDesc(a: Job, b: Job): number {
  return time(b.created_at) - time(a.created_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The fresher of two versions of one job (an event wins a tie: it was produced later). */
export function newer(current: Job, incoming: Job): Job {
  return time(incoming.updated_at) >= time(current.updated_at) ? incoming : current;
}

export interface UpsertOptions {
  /** Whether a job not in the list yet belongs on this page (e.g. only on the first page). */
  insertNew: boolean;
  /** The page's filter; a job that no longer matches it leaves the list. */
  matches?: (job: Job) => boolean;
}

/** Apply one live update: replace the job by id, or add it if it is new and belongs here. */
export function upsertJob(list: readonly Job[], job: Job, options: UpsertOptions): Job[] {
  const index = list.findIndex((j) => j.id === job.id);
  if (index >= 0) {
    const merged = newer(list[index], job);
    if (options.matches && !options.matches(merged)) return list.filter((j) => j.id !== job.id);
    if (merged === list[index]) return list as Job[];
    const next = list.slice();
    next[index] = merged;
    return next;
  }
  if (!options.insertNew || (options.matches && !options.matches(job))) return list as Job[];
  return [job, ...list].sort(byCreatedDesc);
}

/**
 * Take a fresh REST page, but keep any newer version of a job that a live event already delivered,
 * and keep brand-new jobs that arrived live after the snapshot was taken (first page only).
 */
export function mergeSnapshot(current: readonly Job[], snapshot: readonly Job[], options: UpsertOptions): Job[] {
  const known = new Map(current.map((j) => [j.id, j]));
  const result = snapshot.map((job) => {
    const live = known.get(job.id);
    return live ? newer(job, live) : job;
  });
  if (options.insertNew) {
    const ids = new Set(snapshot.map((j) => j.id));
    const newest = snapshot.length ? time(snapshot[0].created_at) : Number.NEGATIVE_INFINITY;
    for (const job of current) {
      if (!ids.has(job.id) && time(job.created_at) > newest && (!options.matches || options.matches(job))) result.push(job);
    }
  }
  return result.filter((j) => !options.matches || options.matches(j)).sort(byCreatedDesc);
}
