import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import type { StoredFile, Upload } from "../api/types";
import { contentRange, uploadFile, type UploadTransport } from "./upload";

class MemStorage {
  data = new Map<string, string>();
  getItem = (k: string) => this.data.get(k) ?? null;
  setItem = (k: string, v: string) => void this.data.set(k, v);
  removeItem = (k: string) => void this.data.delete(k);
}

function fakeServer(chunkSize: number, failAt: Set<number> = new Set()) {
  const state = { received: 0, size: 0, ranges: [] as string[], bytes: [] as number[], completed: false, created: 0 };
  const upload = (): Upload =>
    ({ id: "u1", filename: "f.bin", size: state.size, content_type: "application/octet-stream", status: "uploading", received: state.received, chunk_size: chunkSize }) as Upload;
  const transport: UploadTransport = {
    async create(input) {
      state.created += 1;
      state.size = input.size;
      return upload();
    },
    async get() {
      return upload();
    },
    async put(_id, chunk, range) {
      state.ranges.push(range);
      const start = Number(/bytes (\d+)-/.exec(range)![1]);
      if (failAt.has(state.ranges.length)) throw new TypeError("network down");
      if (start !== state.received) throw new ApiError(409, "conflict", "out of order");
      state.bytes.push(...new Uint8Array(await chunk.arrayBuffer()));
      state.received += chunk.size;
      return { received: state.received };
    },
    async complete() {
      state.completed = true;
      return { id: "u1", filename: "f.bin", size: state.size, sha256: "x", status: "ready" } as StoredFile;
    },
  };
  return { state, transport };
}

const file = (size: number) => {
  const bytes = new Uint8Array(size).map((_, i) => i % 251);
  return Object.assign(new Blob([bytes]), { name: "f.bin", lastModified: 1 });
};

describe("uploadFile", () => {
  it("sends chunks with inclusive Content-Range and reports progress", async () => {
    const { state, transport } = fakeServer(1000);
    const progress: number[] = [];
    await uploadFile(file(2500), transport, { onProgress: (r) => progress.push(r), sleep: async () => {} });
    expect(state.ranges).toEqual(["bytes 0-999/2500", "bytes 1000-1999/2500", "bytes 2000-2499/2500"]);
    expect(progress).toEqual([0, 1000, 2000, 2500, 2500]);
    expect(state.bytes).toHaveLength(2500);
    expect(state.bytes[2499]).toBe(2499 % 251);
    expect(state.completed).toBe(true);
  });

  it("retries after a network error, resuming from the server's count", async () => {
    const { state, transport } = fakeServer(1000, new Set([2]));
    await uploadFile(file(2500), transport, { sleep: async () => {} });
    expect(state.ranges).toEqual(["bytes 0-999/2500", "bytes 1000-1999/2500", "bytes 1000-1999/2500", "bytes 2000-2499/2500"]);
    expect(state.completed).toBe(true);
  });

  it("resumes a remembered upload instead of starting again", async () => {
    const { state, transport } = fakeServer(1000);
    const storage = new MemStorage();
    state.size = 2500;
    state.received = 2000;
    storage.setItem("sideline.upload:org:f.bin:2500:1", "u1");
    await uploadFile(file(2500), transport, { storage, resumeScope: "org", sleep: async () => {} });
    expect(state.created).toBe(0);
    expect(state.ranges).toEqual(["bytes 2000-2499/2500"]);
    expect(storage.data.size).toBe(0);
  });

  it("gives up on client errors", async () => {
    const transport: UploadTransport = {
      create: async () => { throw new ApiError(415, "unsupported_media_type", "Files of type image/png are not accepted"); },
      get: async () => { throw new Error("unused"); },
      put: async () => { throw new Error("unused"); },
      complete: async () => { throw new Error("unused"); },
    };
    await expect(uploadFile(file(10), transport)).rejects.toThrow("not accepted");
  });

  it("formats ranges", () => expect(contentRange(0, 10, 10)).toBe("bytes 0-9/10"));
});
