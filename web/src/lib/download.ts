// Saving a response body (fetched with the auth header, so a plain link cannot do it) as a file.

/** The file name of a Content-Disposition header (RFC 6266: filename* wins over filename), or null. */
export function filenameFromDisposition(header: string | null | undefined): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*([^;]+)/i.exec(header);
  if (star) {
    const value = star[1].trim().replace(/^"(.*)"$/, "$1");
    const encoded = value.replace(/^[\w-]*'[^']*'/, ""); // charset'language'
    try {
      const name = decodeURIComponent(encoded);
      if (name) return safeName(name);
    } catch {
      /* fall back to filename= */
    }
  }
  const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i.exec(header);
  if (!plain) return null;
  const name = plain[2] !== undefined ? plain[2].replace(/\\(.)/g, "$1") : plain[1].trim();
  return name ? safeName(name) : null;
}

/** No folders, whatever the server said. */
const safeName = (name: string) => name.split(/[\\/]/).pop()!.trim() || "download";

/** Hand a blob to the browser as a download named `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
