import { useEffect, useRef, useState, type DragEvent } from "react";
import { api, call, errorMessage } from "../api/client";
import type { StoredFile } from "../api/types";
import { Alert, InlineConfirm, PageHeader, Pager, ProgressBar, Spinner } from "../components/ui";
import { useOrg } from "../components/Shell";
import { Icon } from "../components/Icon";
import { saveBlob } from "../lib/download";
import { formatBytes, formatDate, formatRelative, shortHash } from "../lib/format";
import { orgTransport, uploadFile } from "../lib/upload";
import { usePagedList } from "../lib/usePagedList";

type UploadStatus = "uploading" | "done" | "error" | "cancelled";

interface UploadItem {
  key: string;
  name: string;
  size: number;
  received: number;
  status: UploadStatus;
  error?: string;
  controller: AbortController;
}

const PAGE_SIZE = 50;
let nextKey = 0;

function FileRow({ file, orgId, onDeleted, onError }: {
  file: StoredFile;
  orgId: string;
  onDeleted: (id: string) => void;
  onError: (message: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<"download" | "delete" | null>(null);
  const path = { org_id: orgId, file_id: file.id };

  async function download() {
    setBusy("download");
    try {
      const blob = await call(api.GET("/api/v1/orgs/{org_id}/files/{file_id}/content", { params: { path }, parseAs: "blob" }));
      saveBlob(blob as Blob, file.filename);
    } catch (err) {
      onError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  async function remove() {
    setBusy("delete");
    try {
      await call(api.DELETE("/api/v1/orgs/{org_id}/files/{file_id}", { params: { path } }));
      onDeleted(file.id);
    } catch (err) {
      onError(errorMessage(err));
      setBusy(null);
      setConfirming(false);
    }
  }

  return (
    <tr data-testid="file-row" data-file-id={file.id}>
      <td data-label="Name" className="break">
        <span data-testid="file-name">{file.filename}</span>
      </td>
      <td data-label="Size">{formatBytes(file.size)}</td>
      <td data-label="Type" className="break">
        <span className="muted">{file.content_type || "–"}</span>
      </td>
      <td data-label="SHA-256">
        <code title={file.sha256 ?? undefined} data-testid="file-sha">
          {shortHash(file.sha256)}
        </code>
      </td>
      <td data-label="Created" title={formatDate(file.created_at)}>
        {formatRelative(file.created_at)}
      </td>
      <td data-label="" className="actions">
        {confirming ? (
          <InlineConfirm
            question="Delete this file?"
            confirmLabel="Delete"
            busyLabel="Deleting…"
            busy={busy === "delete"}
            disabled={busy !== null}
            onConfirm={() => void remove()}
            onCancel={() => setConfirming(false)}
            confirmTestId="file-delete-confirm"
          />
        ) : (
          <>
            <button type="button" className="button button-small" disabled={busy !== null} onClick={download} data-testid="file-download">
              {busy === "download" ? "Downloading…" : "Download"}
            </button>
            <button type="button" className="button button-small button-danger-outline" onClick={() => setConfirming(true)} data-testid="file-delete">
              Delete
            </button>
          </>
        )}
      </td>
    </tr>
  );
}

export function UploadsPage() {
  const { orgId } = useOrg();
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const {
    items: files,
    setItems: setFiles,
    total,
    setTotal,
    offset,
    setOffset,
    error,
    setError,
    reload: load,
  } = usePagedList(
    (limit, offset) => call(api.GET("/api/v1/orgs/{org_id}/files", { params: { path: { org_id: orgId }, query: { limit, offset } } })),
    [orgId],
    { pageSize: PAGE_SIZE },
  );
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  // Leaving the page stops uploads that are still running (they can resume when the file is picked again).
  const uploadsRef = useRef(uploads);
  uploadsRef.current = uploads;
  useEffect(() => () => uploadsRef.current.forEach((u) => u.controller.abort()), []);

  const update = (key: string, patch: Partial<UploadItem>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...patch } : u)));

  async function start(file: File) {
    const item: UploadItem = {
      key: `u${++nextKey}`,
      name: file.name,
      size: file.size,
      received: 0,
      status: "uploading",
      controller: new AbortController(),
    };
    setUploads((list) => [item, ...list]);
    try {
      await uploadFile(file, orgTransport(orgId), {
        signal: item.controller.signal,
        storage: localStorage,
        resumeScope: orgId,
        onProgress: (received) => update(item.key, { received }),
      });
      update(item.key, { status: "done", received: file.size });
      void load();
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") update(item.key, { status: "cancelled" });
      else update(item.key, { status: "error", error: errorMessage(err) });
    }
  }

  function startAll(list: FileList | null) {
    if (!list) return;
    for (const file of Array.from(list)) void start(file);
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    startAll(e.dataTransfer.files);
  }

  return (
    <section data-testid="page-uploads">
      <PageHeader title="Uploads" />
      {error && (
        <Alert onDismiss={() => setError(null)} testId="uploads-error">
          {error}
        </Alert>
      )}
      <label
        className={`dropzone${dragging ? " dragging" : ""}`}
        data-testid="upload-dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <input
          ref={inputRef}
          type="file"
          multiple
          className="visually-hidden-input"
          data-testid="upload-input"
          onChange={(e) => {
            startAll(e.target.files);
            e.target.value = "";
          }}
        />
        <span className="dropzone-icon">
          <Icon name="uploads" size={28} />
        </span>
        <strong>Drop files here or click to choose</strong>
        <span className="muted small">Video, tracking and telemetry files. Large files upload in resumable chunks.</span>
      </label>

      {uploads.length > 0 && (
        <ul className="upload-list" aria-label="Uploads in progress">
          {uploads.map((u) => {
            const pct = u.size > 0 ? (u.received / u.size) * 100 : u.status === "done" ? 100 : 0;
            return (
              <li key={u.key} className="card upload-item" data-testid="upload-item" data-status={u.status}>
                <div className="upload-head">
                  <span className="break">{u.name}</span>
                  <span className="muted small">
                    {formatBytes(u.received)} / {formatBytes(u.size)} ·{" "}
                    <span data-testid="upload-status">
                      {u.status === "uploading" ? `${Math.round(pct)}%` : u.status === "done" ? "done" : u.status}
                    </span>
                  </span>
                  {u.status === "uploading" ? (
                    <button type="button" className="button button-small" onClick={() => u.controller.abort()}>
                      Cancel
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="icon-button"
                      aria-label="Remove from list"
                      onClick={() => setUploads((list) => list.filter((x) => x.key !== u.key))}
                    >
                      ×
                    </button>
                  )}
                </div>
                <ProgressBar
                  value={pct}
                  label={`Upload of ${u.name}`}
                  testId="upload-progress"
                  tone={u.status === "error" ? "error" : u.status === "done" ? "ok" : u.status === "cancelled" ? "muted" : undefined}
                />
                {u.error && <div className="error-text small" role="alert">{u.error}</div>}
              </li>
            );
          })}
        </ul>
      )}

      <h2>Files</h2>
      {files === null ? (
        error ? null : <Spinner />
      ) : files.length === 0 ? (
        <div className="card empty" data-testid="files-empty">
          <p>No files yet.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="files-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Size</th>
                <th>Type</th>
                <th>SHA-256</th>
                <th>Created</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <FileRow
                  key={f.id}
                  file={f}
                  orgId={orgId}
                  onError={setError}
                  onDeleted={(id) => {
                    setFiles((list) => list?.filter((x) => x.id !== id) ?? null);
                    setTotal((t) => t - 1);
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager total={total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
    </section>
  );
}
