// Upload one or more files (resumable chunks, a progress bar each), then start a job on them and
// follow it live: the one flow behind the football import, swing analysis and video library panels.
import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage } from "../api/client";
import type { Job, StoredFile } from "../api/types";
import { ProgressBar } from "../components/ui";
import { formatBytes } from "../lib/format";
import { orgTransport, uploadFile } from "../lib/upload";
import { useLiveJob } from "./liveJob";

export interface UploadRow {
  name: string;
  size: number;
  received: number;
}

export interface UploadThenJob {
  uploads: UploadRow[];
  busy: boolean;
  error: string | null;
  setError(message: string | null): void;
  job: Job | null;
  /** Uploads `files` in parallel, then `start(stored)` (same order) and follows the job it returns. */
  run(files: File[], start: (stored: StoredFile[]) => Promise<Job | null>): Promise<void>;
  /** Stops the uploads in flight (they can be resumed by choosing the same files again). */
  cancel(): void;
}

/** `onSucceeded` is called once per job that finishes successfully (e.g. to reload a list). */
export function useUploadThenJob(orgId: string, onSucceeded?: (job: Job) => void): UploadThenJob {
  const [uploads, setUploads] = useState<UploadRow[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [job, follow] = useLiveJob(orgId);
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  const notified = useRef<string | null>(null);
  useEffect(() => {
    if (job && job.state === "succeeded" && notified.current !== job.id) {
      notified.current = job.id;
      onSucceeded?.(job);
    }
  }, [job, onSucceeded]);

  const run = useCallback(
    async (files: File[], start: (stored: StoredFile[]) => Promise<Job | null>) => {
      setBusy(true);
      setError(null);
      follow(null);
      const abort = new AbortController();
      controller.current = abort;
      setUploads(files.map((file) => ({ name: file.name, size: file.size, received: 0 })));
      try {
        const stored = await Promise.all(
          files.map((file, i) =>
            uploadFile(file, orgTransport(orgId), {
              signal: abort.signal,
              storage: localStorage,
              resumeScope: orgId,
              onProgress: (received) => setUploads((rows) => rows.map((row, j) => (j === i ? { ...row, received } : row))),
            }),
          ),
        );
        follow(await start(stored));
      } catch (err) {
        if (!(err instanceof DOMException && err.name === "AbortError")) setError(errorMessage(err));
      } finally {
        setBusy(false);
      }
    },
    [orgId, follow],
  );

  const cancel = useCallback(() => controller.current?.abort(), []);
  return { uploads, busy, error, setError, job, run, cancel };
}

/** One line and one progress bar per file being uploaded. */
export function UploadProgressList({ uploads, testId }: { uploads: UploadRow[]; testId?: string }) {
  if (uploads.length === 0) return null;
  return (
    <ul className="plain-list fb-uploads">
      {uploads.map((u, i) => (
        <li key={i}>
          <div className="small">
            {u.name} · {formatBytes(u.received)} / {formatBytes(u.size)}
          </div>
          <ProgressBar value={u.size ? (u.received / u.size) * 100 : 100} label={`Upload of ${u.name}`} testId={testId} />
        </li>
      ))}
    </ul>
  );
}
