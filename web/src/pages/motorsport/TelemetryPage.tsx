// Car telemetry of an uploaded CSV (docs/motorsport.md "Analysis and commentary"): two laps'
// speed over distance with the time delta between them, and the GPS track map coloured by
// speed or gear. CSVs are uploaded on the Uploads page.
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { Alert, PageHeader, Spinner } from "../../components/ui";
import { useLoad } from "../football/common";
import { compareTelemetryLaps, getTelemetryLaps, getTrackMap, listCsvFiles, type TelemetryCompare, type TrackMap } from "./analysisApi";
import { LineChart } from "./Charts";

function colourFor(value: number, min: number, max: number): string {
  const f = (value - min) / (max - min || 1);
  return `hsl(${Math.round(240 - 240 * f)}, 85%, 45%)`; // blue slow/low gear -> red fast/high gear
}

function TrackMapView({ map }: { map: TrackMap }) {
  const [x0, x1, y0, y1] = [Math.min(...map.x), Math.max(...map.x), Math.min(...map.y), Math.max(...map.y)];
  const scale = 380 / Math.max(x1 - x0, y1 - y0, 1);
  const [vMin, vMax] = [Math.min(...map.value), Math.max(...map.value)];
  return (
    <svg viewBox="0 0 400 400" width="100%" style={{ maxWidth: 420 }} data-testid="f1-track-map" role="img" aria-label={`track map by ${map.colour_by}`}>
      {map.x.map((x, i) => (
        <circle key={i} cx={10 + (x - x0) * scale} cy={390 - (map.y[i] - y0) * scale} r={3} fill={colourFor(map.value[i], vMin, vMax)}>
          <title>{`${map.colour_by}: ${map.value[i]}`}</title>
        </circle>
      ))}
    </svg>
  );
}

export function TelemetryPage() {
  const { orgId = "" } = useParams();
  const files = useLoad(() => listCsvFiles(orgId), [orgId]);
  const [fileId, setFileId] = useState("");
  const [lapA, setLapA] = useState(0);
  const [lapB, setLapB] = useState(0);
  const [colourBy, setColourBy] = useState("speed");
  const laps = useLoad(async () => (fileId ? (await getTelemetryLaps(orgId, fileId)).items : []), [orgId, fileId]);
  const [compare, setCompare] = useState<TelemetryCompare | null>(null);
  const [map, setMap] = useState<TrackMap | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const list = laps.data ?? [];
    if (list.length > 1) {
      const timed = list.filter((l) => l.lap_time !== null);
      const fastest = timed.reduce((a, b) => ((a.lap_time ?? 1e9) <= (b.lap_time ?? 1e9) ? a : b), timed[0]);
      setLapA(fastest.lap);
      setLapB(timed[Math.floor(timed.length / 2)].lap);
    }
  }, [laps.data]);

  useEffect(() => {
    if (!fileId || !lapA || !lapB) return;
    Promise.all([compareTelemetryLaps(orgId, fileId, lapA, lapB), getTrackMap(orgId, fileId, lapA, colourBy)])
      .then(([c, m]) => { setCompare(c); setMap(m); setError(null); })
      .catch((err) => setError(errorMessage(err)));
  }, [orgId, fileId, lapA, lapB, colourBy]);

  const lapOptions = (laps.data ?? []).map((l) => (
    <option key={l.lap} value={l.lap}>{`lap ${l.lap}${l.lap_time ? ` (${l.lap_time.toFixed(1)} s)` : ""}`}</option>
  ));
  return (
    <div data-testid="f1-telemetry">
      <PageHeader title="Car telemetry"><Link to=".." relative="path" className="button">Sessions</Link></PageHeader>
      {(files.error || laps.error || error) && <Alert>{files.error ?? laps.error ?? error}</Alert>}
      <div className="card" style={{ display: "flex", gap: "0.75rem", flexWrap: "wrap", alignItems: "center" }}>
        <select value={fileId} onChange={(e) => setFileId(e.target.value)} data-testid="f1-telemetry-file">
          <option value="">{files.data?.length ? "choose a telemetry CSV" : "no CSV uploaded yet"}</option>
          {(files.data ?? []).map((f) => <option key={f.id} value={f.id}>{f.filename}</option>)}
        </select>
        {lapOptions.length > 0 && (
          <>
            <label>Lap A <select value={lapA} onChange={(e) => setLapA(Number(e.target.value))}>{lapOptions}</select></label>
            <label>Lap B <select value={lapB} onChange={(e) => setLapB(Number(e.target.value))}>{lapOptions}</select></label>
            <label>Map by <select value={colourBy} onChange={(e) => setColourBy(e.target.value)}>
              {["speed", "gear", "throttle", "brake"].map((c) => <option key={c}>{c}</option>)}
            </select></label>
          </>
        )}
      </div>
      {laps.loading && fileId && <Spinner />}
      {compare && (
        <>
          <div className="card"><h3>Speed, lap {compare.lap_a} vs lap {compare.lap_b}</h3>
            <LineChart xLabel="distance (m)" yLabel="km/h" testId="f1-telemetry-speed" series={[
              { key: "a", label: `lap ${compare.lap_a}`, colour: "#4363d8", points: compare.distance.map((d, i) => [d, compare.speed_a[i]]) },
              { key: "b", label: `lap ${compare.lap_b}`, colour: "#e6194b", points: compare.distance.map((d, i) => [d, compare.speed_b[i]]) },
            ]} /></div>
          <div className="card"><h3>Time delta (lap {compare.lap_b} − lap {compare.lap_a})</h3>
            <LineChart xLabel="distance (m)" yLabel="s" testId="f1-telemetry-delta" series={[
              { key: "delta", label: "delta", colour: "#333", points: compare.distance.map((d, i) => [d, compare.delta[i]]) },
            ]} /></div>
        </>
      )}
      {map && <div className="card"><h3>Track map, lap {map.lap}, by {map.colour_by}</h3><TrackMapView map={map} /></div>}
    </div>
  );
}
