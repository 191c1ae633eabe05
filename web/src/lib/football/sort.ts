// Sorting table rows by any column: numbers numerically, text in the reader's collation, and
// missing values (null, undefined, NaN) last whichever the direction.

export type SortDirection = "asc" | "desc";

export interface SortState<K extends string = string> {
  key: K;
  direction: SortDirection;
}

const isMissing = (v: unknown) => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v)) || v === "";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Ascending order of two present values: numbers (and booleans) by value, anything else as text. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return collator.compare(String(a), String(b));
}

/** A sorted copy (stable: equal rows keep their order). */
export function sortRows<T>(rows: readonly T[], value: (row: T) => unknown, direction: SortDirection): T[] {
  const sign = direction === "asc" ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: value(row) }))
    .sort((x, y) => {
      const mx = isMissing(x.v), my = isMissing(y.v);
      if (mx || my) return mx === my ? x.i - y.i : mx ? 1 : -1;
      return sign * compareValues(x.v, y.v) || x.i - y.i;
    })
    .map((entry) => entry.row);
}

/** Clicking a column header: a new column starts descending for numbers (biggest first), ascending for text; the same column flips. */
export function nextSort<K extends string>(current: SortState<K> | null, key: K, numeric: boolean): SortState<K> {
  if (current && current.key === key) return { key, direction: current.direction === "asc" ? "desc" : "asc" };
  return { key, direction: numeric ? "desc" : "asc" };
}
