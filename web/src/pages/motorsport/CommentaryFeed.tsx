// The generated commentary of a session, polled while it plays: preferences (style, favourite
// drivers highlighted, broadcast delay, LLM phrasing) are kept in this browser; each line shows
// what caused it (its data and source rows) on hover.
import { useEffect, useRef, useState } from "react";
import { errorMessage } from "../../api/client";
import { getCommentary, type CommentaryLine } from "./analysisApi";
import { loadPrefs, savePrefs, visibleLines, type CommentaryPrefs } from "./commentaryPrefs";

const POLL_MS = 3000;

export function CommentaryFeed({ sessionId }: { sessionId: string }) {
  const [prefs, setPrefs] = useState<CommentaryPrefs>(() => loadPrefs());
  const [lines, setLines] = useState<CommentaryLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const firstSeen = useRef(new Map<string, number>());

  useEffect(() => {
    let stop = false;
    const poll = async () => {
      try {
        const body = await getCommentary(sessionId, { style: prefs.style, favourites: prefs.favourites.join(","), phrase: prefs.phrase });
        if (stop) return;
        const t = Date.now();
        for (const line of body.items) if (!firstSeen.current.has(line.id)) firstSeen.current.set(line.id, t);
        setLines(body.items);
        setError(null);
      } catch (err) {
        if (!stop) setError(errorMessage(err));
      }
      if (!stop) setNow(Date.now());
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => { stop = true; clearInterval(timer); };
  }, [sessionId, prefs.style, prefs.favourites, prefs.phrase]);

  const update = (change: Partial<CommentaryPrefs>) => {
    const next = { ...prefs, ...change };
    savePrefs(next);
    setPrefs(next);
  };
  const shown = visibleLines(lines, firstSeen.current, now, prefs.delayS);

  return (
    <div className="card" data-testid="f1-commentary">
      <h3>Commentary</h3>
      <div className="small" style={{ display: "flex", gap: "0.5rem", flexWrap: "wrap", marginBottom: "0.5rem" }}>
        <select value={prefs.style} onChange={(e) => update({ style: e.target.value === "technical" ? "technical" : "casual" })} data-testid="f1-commentary-style">
          <option value="casual">casual</option>
          <option value="technical">technical</option>
        </select>
        <label>
          favourites{" "}
          <input size={8} placeholder="44,16" defaultValue={prefs.favourites.join(",")}
            onBlur={(e) => update({ favourites: e.target.value.split(",").map((f) => f.trim()).filter(Boolean) })} />
        </label>
        <label>
          delay s{" "}
          <input type="number" min={0} max={300} style={{ width: "4rem" }} value={prefs.delayS}
            onChange={(e) => update({ delayS: Math.max(0, Math.min(300, Number(e.target.value) || 0)) })} />
        </label>
        <label><input type="checkbox" checked={prefs.phrase} onChange={(e) => update({ phrase: e.target.checked })} /> LLM</label>
      </div>
      {error && <p className="error-text small">{error}</p>}
      <ol style={{ listStyle: "none", padding: 0, margin: 0, maxHeight: "24rem", overflowY: "auto" }}>
        {shown.map((line) => (
          <li key={line.id} className="small" data-testid="f1-commentary-line"
            title={`${line.source.table}: ${JSON.stringify(line.source.rows)}\n${JSON.stringify(line.data)}`}
            style={{ padding: "0.2rem 0", fontWeight: line.highlight ? 700 : 400 }}>
            <span className="muted">L{line.lap ?? "–"} </span>{line.text}
          </li>
        ))}
        {!shown.length && <li className="muted small">Nothing yet.</li>}
      </ol>
    </div>
  );
}
