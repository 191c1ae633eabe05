// The generated commentary of a session. During a replay the lines come pushed on the session's
// channel (in the snapshot and `commentary` events, both styles in each line); a session played
// before (or by a server that does not push) falls back to one fetch of the REST endpoint.
// Lines about favourite drivers are highlighted; each line shows what caused it on hover.
import { useEffect, useMemo, useRef, useState } from "react";
import { errorMessage } from "../../api/client";
import { getCommentary, type CommentaryLine } from "./analysisApi";
import type { CommentaryStyle } from "./commentaryPrefs";
import type { PushedLine } from "./timing";

const PHRASE_EVERY_MS = 3000;

export function CommentaryFeed({ sessionId, pushed, style, favourites, phrase, onPhrase }: {
  sessionId: string;
  pushed: PushedLine[] | undefined;
  style: CommentaryStyle;
  favourites: Set<string>;
  phrase: boolean;
  onPhrase(on: boolean): void;
}) {
  const [fetched, setFetched] = useState<CommentaryLine[] | null>(null);
  const [phrased, setPhrased] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const lastPhrase = useRef(0);
  const hasPushed = pushed !== undefined;

  // Fallback: nothing pushed for this session, fetch what its stored tables say.
  useEffect(() => {
    if (hasPushed) return;
    let stop = false;
    getCommentary(sessionId, { style, favourites: "", phrase }).then(
      (body) => { if (!stop) { setFetched(body.items); setError(null); } },
      (err) => { if (!stop) setError(errorMessage(err)); },
    );
    return () => { stop = true; };
  }, [sessionId, hasPushed, style, phrase]);

  // LLM phrasing of pushed lines: the REST endpoint rephrases the newest ones; at most every few seconds.
  const pushedCount = pushed?.length ?? 0;
  useEffect(() => {
    if (!phrase || !hasPushed || pushedCount === 0) return;
    let stop = false;
    const wait = Math.max(0, lastPhrase.current + PHRASE_EVERY_MS - Date.now());
    const timer = setTimeout(() => {
      lastPhrase.current = Date.now();
      getCommentary(sessionId, { style, favourites: "", phrase: true }).then((body) => {
        if (stop) return;
        setPhrased((old) => {
          const next = new Map(old);
          for (const line of body.items) if (line.phrased_by === "llm") next.set(`${style}:${line.id}`, line.text);
          return next;
        });
      }, () => undefined);
    }, wait);
    return () => { stop = true; clearTimeout(timer); };
  }, [sessionId, phrase, hasPushed, pushedCount, style]);

  const shown = useMemo(() => {
    const lines: (PushedLine | CommentaryLine)[] = pushed ?? fetched ?? [];
    return lines
      .map((line) => ({
        ...line,
        text: phrased.get(`${style}:${line.id}`) ?? ("texts" in line && line.texts ? line.texts[style] ?? line.text : line.text),
        highlight: line.drivers.some((d) => favourites.has(d)),
      }))
      .sort((a, b) => b.t - a.t);
  }, [pushed, fetched, phrased, style, favourites]);

  return (
    <div className="card" data-testid="f1-commentary">
      <h3>Commentary</h3>
      <label className="small">
        <input type="checkbox" checked={phrase} onChange={(e) => onPhrase(e.target.checked)} /> LLM phrasing
      </label>
      {error && <p className="error-text small">{error}</p>}
      <ol style={{ listStyle: "none", padding: 0, margin: 0, maxHeight: "24rem", overflowY: "auto" }}>
        {shown.map((line) => (
          <li key={line.id} className="small" data-testid="f1-commentary-line" data-highlight={line.highlight || undefined}
            title={`${line.source.table}: ${JSON.stringify(line.source.rows)}\n${JSON.stringify(line.data)}`}
            style={{ padding: "0.2rem 0", fontWeight: line.highlight ? 700 : 400, background: line.highlight ? "var(--favourite-bg, rgba(255, 196, 0, 0.18))" : undefined }}>
            <span className="muted">L{line.lap ?? "–"} </span>{line.text}
          </li>
        ))}
        {!shown.length && <li className="muted small">Nothing yet.</li>}
      </ol>
    </div>
  );
}
