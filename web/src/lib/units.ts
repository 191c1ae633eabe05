// Metric or imperial display of lengths and speeds (the user's `/me/preferences/display` units).
// The API speaks SI (m, m/s); conversion happens only here, at display time. Angles, times,
// ratios and torso-relative figures are the same in both systems.

export type Units = "metric" | "imperial";
export const DEFAULT_UNITS: Units = "metric";

export const METRES_PER_INCH = 0.0254; // exact by definition (1959)
export const METRES_PER_MILE = 1609.344; // exact
export const MPH_PER_M_S = 3600 / METRES_PER_MILE;

/** A speed in m/s in the chosen units (m/s or mph). */
export const speedIn = (metresPerSecond: number, units: Units) =>
  units === "imperial" ? metresPerSecond * MPH_PER_M_S : metresPerSecond;
export const speedUnit = (units: Units) => (units === "imperial" ? "mph" : "m/s");

/** A length in metres as whole inches split into feet and inches (5 ft 11 in). */
export function feetAndInches(metres: number): { feet: number; inches: number } {
  const total = Math.round(metres / METRES_PER_INCH);
  return { feet: Math.floor(total / 12), inches: total % 12 };
}
export const fromFeetAndInches = (feet: number, inches: number) => (feet * 12 + inches) * METRES_PER_INCH;

/** "1.80 m" or "5 ft 11 in"; "1.8 m/s" or "4.0 mph". Missing values are a dash. */
export function formatLength(metres: number | null | undefined, units: Units): string {
  if (metres === null || metres === undefined || !Number.isFinite(metres)) return "—";
  if (units === "metric") return metres < 1 ? `${Math.round(metres * 100)} cm` : `${metres.toFixed(2)} m`;
  const { feet, inches } = feetAndInches(metres);
  return feet > 0 ? `${feet} ft ${inches} in` : `${inches} in`;
}
export function formatSpeed(metresPerSecond: number | null | undefined, units: Units, digits = 1): string {
  if (metresPerSecond === null || metresPerSecond === undefined || !Number.isFinite(metresPerSecond)) return "—";
  return `${speedIn(metresPerSecond, units).toFixed(digits)} ${speedUnit(units)}`;
}
