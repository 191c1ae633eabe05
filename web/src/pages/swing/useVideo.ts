// The annotated MP4 of a swing as an object URL (revoked when the page lets go of it).
import { useEffect, useState } from "react";
import { errorMessage } from "../../api/client";
import { fetchVideo } from "./api";

export function useVideoUrl(orgId: string, fileId: string | null | undefined): { url: string | null; blob: Blob | null; error: string | null } {
  const [state, setState] = useState<{ url: string | null; blob: Blob | null; error: string | null }>({ url: null, blob: null, error: null });
  useEffect(() => {
    if (!fileId) return;
    const abort = new AbortController();
    let url: string | null = null;
    fetchVideo(orgId, fileId, abort.signal)
      .then((blob) => {
        url = URL.createObjectURL(blob);
        setState({ url, blob, error: null });
      })
      .catch((err) => {
        if (!abort.signal.aborted) setState({ url: null, blob: null, error: errorMessage(err) });
      });
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [orgId, fileId]);
  return state;
}

/** Seconds into the annotated video of a frame index (the render writes frames at a constant rate). */
export const frameTime = (frame: number, fps: number | undefined) => (frame + 0.5) / (fps || 30);
