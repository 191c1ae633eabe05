// A table whose columns sort on a click of their header (numbers biggest first, text A–Z first).
import { useMemo, useState, type ReactNode } from "react";
import { nextSort, sortRows, type SortState } from "../../lib/football/sort";

export interface Column<T> {
  key: string;
  label: string;
  numeric?: boolean;
  value: (row: T) => unknown;
  render?: (row: T) => ReactNode;
}

export function SortableTable<T>({ rows, columns, rowKey, initialSort = null, testId, rowTestId, onRowClick, empty = "Nothing to show." }: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T, index: number) => string;
  initialSort?: SortState | null;
  testId?: string;
  rowTestId?: string;
  onRowClick?: (row: T) => void;
  empty?: ReactNode;
}) {
  const [sort, setSort] = useState<SortState | null>(initialSort);
  const sorted = useMemo(() => {
    const column = sort && columns.find((c) => c.key === sort.key);
    return column ? sortRows(rows, column.value, sort.direction) : rows;
  }, [rows, columns, sort]);

  if (rows.length === 0) return <div className="card empty muted">{empty}</div>;
  return (
    <div className="table-wrap">
      <table className="table responsive-table fb-kpi-table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              return (
                <th key={c.key} className={c.numeric ? "num" : undefined} aria-sort={active ? (sort!.direction === "asc" ? "ascending" : "descending") : "none"}>
                  <button type="button" className="fb-sort" onClick={() => setSort((s) => nextSort(s, c.key, !!c.numeric))} data-testid={`sort-${c.key}`}>
                    {c.label}
                    <span aria-hidden="true" className="fb-sort-arrow">{active ? (sort!.direction === "asc" ? "▲" : "▼") : ""}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row, i) => (
            <tr key={rowKey(row, i)} data-testid={rowTestId} className={onRowClick ? "fb-clickable" : undefined} onClick={onRowClick ? () => onRowClick(row) : undefined}>
              {columns.map((c) => (
                <td key={c.key} data-label={c.label} className={c.numeric ? "num" : undefined}>
                  {c.render ? c.render(row) : String(c.value(row) ?? "–")}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
