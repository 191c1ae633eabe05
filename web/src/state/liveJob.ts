// Following one job live: `job.*` events on the organisation's jobs channel (subscribed while the
// hook is mounted, so a job started here is followed from its first event), REST catch-up after
// every (re)subscribe or gap, and polling while the live connection is down.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, call } from "../api/client";
import type { Job } from "../api/types";
import { isActive, newer } from "../lib/jobs";
import { useLiveStatus, useSession } from "./session";

const POLL_MS = 3000;
const REMEMBERED = 50;

/** The latest known version of the job followed (null: none); `follow` switches to another job. */
export function useLiveJob(orgId: string): [Job | null, (job: Job | null) => void] {
  const { live } = useSession();
  const liveStatus = useLiveStatus();
  const [job, setJob] = useState<Job | null>(null);
  const [liveBroken, setLiveBroken] = useState(false);
  const jobRef = useRef(job);
  jobRef.current = job;
  // Events can arrive before the request that started the job has answered: keep the latest ones.
  const seen = useRef(new Map<string, Job>());

  const merge = useCallback((incoming: Job) => {
    setJob((current) => (current && current.id === incoming.id ? newer(current, incoming) : current));
  }, []);

  const follow = useCallback((next: Job | null) => {
    const early = next ? seen.current.get(next.id) : undefined;
    setJob(next && early ? newer(next, early) : next);
  }, []);

  const refresh = useCallback(async () => {
    const current = jobRef.current;
    if (!current) return;
    try {
      merge(await call(api.GET("/api/v1/orgs/{org_id}/jobs/{job_id}", { params: { path: { org_id: orgId, job_id: current.id } } })));
    } catch {
      /* the next event or poll tries again */
    }
  }, [orgId, merge]);

  useEffect(() => {
    if (!live) return;
    const remembered = seen.current;
    const unsubscribe = live.subscribe<Job>(`org:${orgId}:jobs`, {
      onEvent(event) {
        const data = event.data;
        if (!event.event.startsWith("job.") || !data || typeof data !== "object" || typeof data.id !== "string") return;
        const before = remembered.get(data.id);
        remembered.delete(data.id);
        remembered.set(data.id, before ? newer(before, data) : data);
        if (remembered.size > REMEMBERED) remembered.delete(remembered.keys().next().value!);
        merge(data);
      },
      onSubscribed() {
        setLiveBroken(false);
        void refresh(); // whatever happened while not subscribed
      },
      onGap() {
        void refresh();
      },
      onError() {
        setLiveBroken(true);
      },
    });
    return () => {
      unsubscribe();
      remembered.clear();
    };
  }, [live, orgId, merge, refresh]);

  const jobId = job?.id ?? null;
  const active = job ? isActive(job) : false;
  useEffect(() => {
    if (!jobId || !active || (liveStatus === "live" && !liveBroken)) return;
    const timer = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(timer);
  }, [jobId, active, liveStatus, liveBroken, refresh]);

  return [job, follow];
}
