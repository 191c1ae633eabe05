// Column labels and number formats for KPI tables whose keys come from the server.

const KNOWN: Record<string, string> = {
  player_id: "Player",
  side: "Team",
  period: "Period",
  minutes_played: "Minutes",
  observed_minutes: "Observed min",
  coverage: "Coverage",
  distance_m: "Distance (m)",
  distance_per_observed_min: "m / observed min",
  hsr_m: "HSR (m)",
  sprint_m: "Sprint (m)",
  sprint_count: "Sprints",
  accelerations: "Accels",
  decelerations: "Decels",
  top_speed_kmh: "Top speed (km/h)",
  metabolic_power_wkg: "Metabolic power (W/kg)",
  possession: "Possession",
  pass_completion: "Pass completion",
  xt: "xT",
  formation_in_possession: "Formation (in possession)",
  formation_out_of_possession: "Formation (out of possession)",
};

const UNITS: [RegExp, string][] = [
  [/_kmh$/, "km/h"],
  [/_wkg$/, "W/kg"],
  [/_ms$/, "m/s"],
  [/_m$/, "m"],
  [/_s$/, "s"],
  [/_pct$/, "%"],
];

/** A readable label for a snake_case key: "zone_3_m" → "Zone 3 (m)", "centroid_x_mean" → "Centroid x mean". */
export function labelFor(key: string): string {
  if (KNOWN[key]) return KNOWN[key];
  let base = key;
  let unit = "";
  for (const [pattern, name] of UNITS) {
    if (pattern.test(base)) {
      base = base.replace(pattern, "");
      unit = name;
      break;
    }
  }
  const words = base.split("_").filter(Boolean).join(" ");
  const text = words.charAt(0).toUpperCase() + words.slice(1);
  return unit ? `${text} (${unit})` : text;
}

/** Keys whose values are shares in 0..1, shown as percentages. */
export function isShare(key: string): boolean {
  return /(^|_)(coverage|possession|completion|share|ratio|pct_of)($|_)/.test(key) && !key.endsWith("_pct");
}

/** A value for a table cell: shares as %, counts as integers, other numbers with 1 decimal (2 below 10). */
export function formatValue(key: string, value: unknown): string {
  if (value === null || value === undefined || (typeof value === "number" && Number.isNaN(value))) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value !== "number") return String(value);
  if (isShare(key)) return `${(value * 100).toFixed(0)}%`;
  if (Number.isInteger(value)) return value.toLocaleString();
  const digits = Math.abs(value) < 10 ? 2 : 1;
  return value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "12:34" (or "1:02:03") for seconds; "–" when unknown. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (v: number) => String(v).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
