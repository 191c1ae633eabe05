// Chunked, resumable uploads: create an upload, PUT the file in chunks with Content-Range, resume from
// the server's `received` after a failure (or after a reload: the upload id is remembered), complete.
import { api, ApiError, call } from "../api/client";
import type { StoredFile, Upload } from "../api/types";

export interface UploadTransport {
  create(input: { filename: string; size: number; content_type: string }): Promise<Upload>;
  get(uploadId: string): Promise<Upload>;
  put(uploadId: string, chunk: Blob, range: string, signal?: AbortSignal): Promise<{ received: number }>;
  complete(uploadId: string): Promise<StoredFile>;
}

export interface UploadOptions {
  onProgress?(received: number, total: number): void;
  signal?: AbortSignal;
  /** Where to remember unfinished upload ids (localStorage in the browser). */
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
  /** Scopes the remembered id (e.g. the organisation). */
  resumeScope?: string;
  maxRetries?: number;
  sleep?(ms: number): Promise<void>;
}

export interface FileLike extends Blob {
  readonly name: string;
  readonly lastModified?: number;
}

/** `bytes START-END/TOTAL` with an inclusive END, as in HTTP. */
export const contentRange = (start: number, endExclusive: number, total: number) =>
  `bytes ${start}-${endExclusive - 1}/${total}`;

const DEFAULT_CHUNK = 8 * 1024 * 1024;

function retryable(error: unknown): boolean {
  if (error instanceof ApiError) return error.status >= 500 || [408, 409, 416, 429].includes(error.status);
  return !(error instanceof DOMException && error.name === "AbortError");
}

function checkAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new DOMException("Upload cancelled", "AbortError");
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function uploadFile(file: FileLike, transport: UploadTransport, options: UploadOptions = {}): Promise<StoredFile> {
  const { onProgress, signal, storage = null, maxRetries = 5, sleep = defaultSleep } = options;
  const total = file.size;
  const key = `sideline.upload:${options.resumeScope ?? ""}:${file.name}:${total}:${file.lastModified ?? 0}`;

  let upload: Upload | null = null;
  const remembered = storage?.getItem(key);
  if (remembered) {
    try {
      const previous = await transport.get(remembered);
      if (previous.status === "uploading" && previous.size === total) upload = previous;
    } catch {
      /* gone or expired: start again */
    }
  }
  checkAborted(signal);
  if (!upload) {
    upload = await transport.create({ filename: file.name, size: total, content_type: file.type || "application/octet-stream" });
    storage?.setItem(key, upload.id);
  }
  const chunkSize = upload.chunk_size > 0 ? upload.chunk_size : DEFAULT_CHUNK;
  let offset = Math.min(upload.received ?? 0, total);
  onProgress?.(offset, total);

  let failures = 0;
  while (offset < total) {
    checkAborted(signal);
    const end = Math.min(offset + chunkSize, total);
    try {
      const result = await transport.put(upload.id, file.slice(offset, end), contentRange(offset, end, total), signal);
      offset = Math.min(Math.max(result.received, 0), total);
      failures = 0;
    } catch (error) {
      checkAborted(signal);
      failures += 1;
      if (!retryable(error) || failures > maxRetries) throw error;
      await sleep(Math.min(8000, 250 * 2 ** failures));
      try {
        offset = Math.min((await transport.get(upload.id)).received, total); // resume where the server is
      } catch {
        /* try the same chunk again */
      }
    }
    onProgress?.(offset, total);
  }
  checkAborted(signal);
  const stored = await transport.complete(upload.id);
  storage?.removeItem(key);
  onProgress?.(total, total);
  return stored;
}

/** The real transport: the typed API client for one organisation. */
export function orgTransport(orgId: string): UploadTransport {
  return {
    create: (body) => call(api.POST("/api/v1/orgs/{org_id}/uploads", { params: { path: { org_id: orgId } }, body })),
    get: (uploadId) =>
      call(api.GET("/api/v1/orgs/{org_id}/uploads/{upload_id}", { params: { path: { org_id: orgId, upload_id: uploadId } } })),
    put: (uploadId, chunk, range, signal) =>
      call(
        api.PUT("/api/v1/orgs/{org_id}/uploads/{upload_id}/content", {
          params: { path: { org_id: orgId, upload_id: uploadId } },
          headers: { "Content-Range": range, "Content-Type": "application/octet-stream" },
          body: chunk as never, // raw bytes, sent as they are
          bodySerializer: (body: unknown) => body as Blob,
          signal,
        }),
      ),
    complete: (uploadId) =>
      call(
        api.POST("/api/v1/orgs/{org_id}/uploads/{upload_id}/complete", {
          params: { path: { org_id: orgId, upload_id: uploadId } },
        }),
      ),
  };
}
