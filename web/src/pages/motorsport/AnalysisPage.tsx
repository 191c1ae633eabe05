// Race analysis of one F1 session as played so far: lap times, positions and gap-to-leader
// charts (SVG), race pace, tyre degradation per stint, pit-stop time loss, undercuts, sectors.
import { Link, useParams } from "react-router-dom";
import { Alert, PageHeader, Spinner } from "../../components/ui";
import { useLoad } from "../football/common";
import { getAnalysis, type Analysis } from "./analysisApi";
import { LineChart, type ChartSeries } from "./Charts";

const FALLBACK_COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];

function seconds(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined ? "–" : value.toFixed(digits);
}

function lapTime(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  const minutes = Math.floor(value / 60);
  return `${minutes}:${(value - minutes * 60).toFixed(3).padStart(6, "0")}`;
}

export function AnalysisPage() {
  const { sessionId = "" } = useParams();
  const { data, error, loading } = useLoad(() => getAnalysis(sessionId), [sessionId]);
  return (
    <div data-testid="f1-analysis">
      <PageHeader title="Race analysis">
        <Link to=".." relative="path" className="button">Timing</Link>
        <Link to="../../../telemetry" relative="path" className="button">Car telemetry</Link>
      </PageHeader>
      {error && <Alert>{error}</Alert>}
      {loading && !data ? <Spinner /> : data && <AnalysisBody data={data} />}
    </div>
  );
}

function AnalysisBody({ data }: { data: Analysis }) {
  const info = new Map(data.drivers.map((d) => [d.number, d]));
  const label = (n: string) => info.get(n)?.tla ?? n;
  const colour = (n: string, i: number) => info.get(n)?.team_colour ?? FALLBACK_COLOURS[i % FALLBACK_COLOURS.length];
  const fastestMedian = data.pace[0]?.median;
  const lapSeries: ChartSeries[] = data.laps.map((s, i) => ({
    key: s.driver, label: label(s.driver), colour: colour(s.driver, i),
    points: s.laps.map((lap, j) => [lap, s.clean[j] ? s.lap_times[j] : null]),
  }));
  const positionSeries: ChartSeries[] = data.positions.map((s, i) => ({
    key: s.driver, label: label(s.driver), colour: colour(s.driver, i), points: s.laps.map((lap, j) => [lap, s.positions[j]]),
  }));
  const gapSeries: ChartSeries[] = data.gaps.map((s, i) => ({
    key: s.driver, label: label(s.driver), colour: colour(s.driver, i), points: s.laps.map((lap, j) => [lap, s.gaps[j]]),
  }));
  return (
    <>
      <div className="card"><h3>Lap times (clean laps)</h3>
        <LineChart series={lapSeries} xLabel="lap" yLabel="s" yMax={fastestMedian ? fastestMedian * 1.05 : undefined} testId="f1-chart-laps" /></div>
      <div className="card"><h3>Positions</h3><LineChart series={positionSeries} xLabel="lap" yLabel="position" invertY testId="f1-chart-positions" /></div>
      <div className="card"><h3>Gap to leader</h3><LineChart series={gapSeries} xLabel="lap" yLabel="s" invertY yMax={120} testId="f1-chart-gaps" /></div>
      <div className="card"><h3>Race pace</h3>
        <p className="muted small">Clean laps only: no lap 1, pit in/out, safety car / VSC laps, or laps over 107 % of the driver's median.</p>
        <table className="table" data-testid="f1-pace"><thead><tr><th>Driver</th><th>Median</th><th>Δ</th><th>Best</th><th>Clean laps</th></tr></thead>
          <tbody>{data.pace.map((p) => (
            <tr key={p.driver}><td>{label(p.driver)}</td><td>{lapTime(p.median)}</td><td>+{seconds(p.delta_to_fastest)}</td><td>{lapTime(p.best)}</td><td>{p.clean_laps}</td></tr>
          ))}</tbody></table></div>
      <div className="card"><h3>Stints and tyre degradation</h3>
        <p className="muted small">Slope of fuel-corrected lap time ({data.fuel_s_per_lap} s per lap of fuel) on tyre age, with a 95 % confidence interval.</p>
        <table className="table" data-testid="f1-stints"><thead><tr><th>Driver</th><th>Stint</th><th>Tyre</th><th>Laps</th><th>s/lap</th><th>95 % CI</th></tr></thead>
          <tbody>{data.stints.map((s) => (
            <tr key={`${s.driver}-${s.stint}`}><td>{label(s.driver)}</td><td>{s.stint}</td><td>{s.compound ?? "–"}</td>
              <td>{s.lap_start}–{s.lap_end} ({s.clean_laps} clean)</td><td>{seconds(s.slope)}</td>
              <td>{s.slope === null ? "–" : `${seconds(s.ci_low)} … ${seconds(s.ci_high)}`}</td></tr>
          ))}</tbody></table></div>
      <div className="card"><h3>Pit stops: time lost</h3>
        <table className="table" data-testid="f1-pit-loss"><thead><tr><th>Driver</th><th>Lap</th><th>Pit lane</th><th>Time lost</th><th></th></tr></thead>
          <tbody>{data.pit_loss.map((p) => (
            <tr key={`${p.driver}-${p.stop}`}><td>{label(p.driver)}</td><td>{p.lap}</td><td>{seconds(p.pit_lane_time, 1)} s</td>
              <td>{seconds(p.time_lost, 1)} s</td><td className="muted small">{p.neutralised ? "under SC/VSC" : ""}</td></tr>
          ))}</tbody></table></div>
      <div className="card"><h3>Undercuts</h3>
        {data.undercuts.length === 0 ? <p className="muted small">None detected.</p> : (
          <ul data-testid="f1-undercuts">{data.undercuts.map((u) => (
            <li key={`${u.attacker}-${u.defender}-${u.attacker_pit_lap}`}>
              {label(u.attacker)} (pit lap {u.attacker_pit_lap}) on {label(u.defender)} (lap {u.defender_pit_lap}):{" "}
              {u.result === "undercut" ? `worked, ${seconds(Math.abs(u.gap_after))} s ahead after` : `failed, still ${seconds(u.gap_after)} s behind`}
            </li>
          ))}</ul>
        )}</div>
      <div className="card"><h3>Sectors</h3>
        <table className="table"><thead><tr><th>Driver</th><th>S1</th><th>S2</th><th>S3</th><th>Ideal</th><th>Best</th></tr></thead>
          <tbody>{data.sectors.map((s) => (
            <tr key={s.driver}><td>{label(s.driver)}</td><td>{seconds(s.sector_1)}</td><td>{seconds(s.sector_2)}</td><td>{seconds(s.sector_3)}</td>
              <td>{lapTime(s.ideal_lap)}</td><td>{lapTime(s.best_lap)}</td></tr>
          ))}</tbody></table></div>
    </>
  );
}
