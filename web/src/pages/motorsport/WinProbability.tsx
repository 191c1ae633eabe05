// Win probability per driver after every lap (docs/motorsport.md "Predictions"), drawn up to the
// lap the live state has reached (no spoilers during a replay), and the evaluation report of the
// pre-race model that seeded it.
import { useEffect, useMemo, useState } from "react";
import { api, call, errorMessage } from "../../api/client";
import { Alert, Spinner } from "../../components/ui";
import { LineChart, type ChartSeries } from "./Charts";
import type { WinPoint } from "./timing";

interface Scores { races: number; log_loss: number; brier: number; top1_accuracy: number }
export interface ModelSummary {
  version: string;
  created_at: string | null;
  train_seasons: number[] | null;
  test_seasons: number[] | null;
  win: { model: Scores; pole_sitter: Scores; grid_only: Scores } | null;
}
export interface WinProbability {
  session_id: string;
  prior: string; // the model version that seeded lap 0, or "grid"
  total_laps: number | null;
  drivers: { number: string; tla: string | null; name: string | null; team_colour: string | null }[];
  laps: { lap: number; probabilities: Record<string, number> }[];
}

type Loose = { GET(path: string, init?: { params?: { path?: Record<string, string> } }): Promise<{ data?: unknown; error?: unknown; response: Response }> };
const client = api as unknown as Loose;

export const getWinProbability = async (sessionId: string) =>
  (await call(client.GET("/api/v1/f1/sessions/{session_id}/win-probability", { params: { path: { session_id: sessionId } } }))) as WinProbability;
export const listModels = async () => (await call(client.GET("/api/v1/f1/models"))) as ModelSummary[];

const SHOWN_FROM = 0.03; // drivers who never reach 3 % are left out of the chart

export function winSeries(data: WinProbability, upToLap: number | null): ChartSeries[] {
  const laps = data.laps.filter((l) => upToLap === null || l.lap <= upToLap);
  return data.drivers
    .filter((d) => laps.some((l) => (l.probabilities[d.number] ?? 0) >= SHOWN_FROM))
    .map((d) => ({
      key: d.number,
      label: d.tla ?? d.number,
      colour: d.team_colour ?? "#888",
      points: laps.map((l): [number, number | null] => [l.lap, 100 * (l.probabilities[d.number] ?? 0)]),
    }));
}

/** The chart's data from the pushed points (`win_probability` events) and the snapshot's drivers. */
export function pushedTimeline(sessionId: string, points: WinPoint[], drivers: DriverInfo[], totalLaps: number | null): WinProbability {
  const laps = [...points].sort((a, b) => a.lap - b.lap).map((p) => ({ lap: p.lap, probabilities: p.probabilities }));
  return { session_id: sessionId, prior: points[0]?.prior ?? "grid", total_laps: totalLaps, drivers, laps };
}

type DriverInfo = WinProbability["drivers"][number];

// During a replay the probabilities come pushed on the channel, lap by lap; otherwise (a session
// played before, or elsewhere) the stored timeline is fetched once and drawn up to the live lap.
export function WinProbabilityChart({ sessionId, currentLap, pushed, drivers, totalLaps }: {
  sessionId: string;
  currentLap: number | null;
  pushed?: WinPoint[];
  drivers: DriverInfo[];
  totalLaps: number | null;
}) {
  const [fetched, setFetched] = useState<WinProbability | null>(null);
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const hasPushed = pushed !== undefined;
  useEffect(() => {
    let live = true;
    if (!hasPushed) getWinProbability(sessionId).then((d) => live && setFetched(d), (e) => live && setError(errorMessage(e)));
    listModels().then((m) => live && setModels(m), () => undefined);
    return () => { live = false; };
  }, [sessionId, hasPushed]);
  const data = useMemo(
    () => (pushed !== undefined ? pushedTimeline(sessionId, pushed, drivers, totalLaps) : fetched),
    [pushed, fetched, sessionId, drivers, totalLaps],
  );
  const series = useMemo(() => (data ? winSeries(data, pushed !== undefined ? null : currentLap) : []), [data, currentLap, pushed]);
  const model = models.find((m) => m.version === data?.prior) ?? null;
  if (error) return <Alert>{error}</Alert>;
  if (!data) return <Spinner />;
  return (
    <div className="card" data-testid="f1-win-probability">
      <h3>Win probability</h3>
      <LineChart series={series} xLabel="lap" yLabel="win %" yMax={100} testId="f1-win-probability-chart" />
      <p className="muted small">
        Seeded by {data.prior === "grid" ? "the starting grid (no model trained yet)" : `model ${data.prior}`}; after each lap a
        Monte Carlo simulation of the remaining laps (gaps, pace, tyres, stops to make, safety cars, retirements).
      </p>
      {model?.win && <ModelScores model={model} />}
    </div>
  );
}

function ModelScores({ model }: { model: ModelSummary }) {
  const rows: [string, Scores][] = [["model", model.win!.model], ["pole sitter wins", model.win!.pole_sitter], ["grid only", model.win!.grid_only]];
  return (
    <table className="small" data-testid="f1-model-scores">
      <caption>
        Pre-race model, trained {model.train_seasons?.join("–")}, tested on {model.test_seasons?.join("–")} ({model.win!.model.races} races)
      </caption>
      <thead><tr><th /><th>log loss</th><th>Brier</th><th>top-1</th></tr></thead>
      <tbody>
        {rows.map(([name, s]) => (
          <tr key={name}><td>{name}</td><td>{s.log_loss.toFixed(3)}</td><td>{s.brier.toFixed(3)}</td><td>{(100 * s.top1_accuracy).toFixed(0)} %</td></tr>
        ))}
      </tbody>
    </table>
  );
}
