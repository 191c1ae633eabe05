import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";
import { errorMessage } from "../api/client";

export interface Page<T> {
  items: T[];
  total: number;
}

export interface PagedListOptions<T> {
  pageSize: number;
  /** Clear the error when a load succeeds. */
  clearErrorOnLoad?: boolean;
  /** Show the spinner again (items back to null) whenever the deps or the page change. */
  clearItemsOnChange?: boolean;
  /** Combine the fetched page with what is shown (default: replace it). */
  merge?: (current: T[] | null, fetched: T[]) => T[];
}

/**
 * One page of a list: loads on mount and whenever `deps` or the offset change, drops responses
 * that a newer load has overtaken, and keeps the error message for an Alert.
 * `fetchPage` runs with the latest props; `deps` say when the list must be fetched again.
 */
export function usePagedList<T>(
  fetchPage: (limit: number, offset: number) => Promise<Page<T>>,
  deps: DependencyList,
  { pageSize, clearErrorOnLoad = false, clearItemsOnChange = false, merge }: PagedListOptions<T>,
) {
  const [items, setItems] = useState<T[] | null>(null);
  const [total, setTotal] = useState(0);
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const fetchRef = useRef(fetchPage);
  const mergeRef = useRef(merge);
  fetchRef.current = fetchPage;
  mergeRef.current = merge;

  const loadSeq = useRef(0);
  const reload = useCallback(async () => {
    const seq = ++loadSeq.current;
    try {
      const page = await fetchRef.current(pageSize, offset);
      if (seq !== loadSeq.current) return; // a newer load is under way
      const combine = mergeRef.current;
      setItems((current) => (combine ? combine(current, page.items) : page.items));
      setTotal(page.total);
      if (clearErrorOnLoad) setError(null);
    } catch (err) {
      if (seq === loadSeq.current) setError(errorMessage(err));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pageSize, offset, clearErrorOnLoad, ...deps]);

  useEffect(() => {
    if (clearItemsOnChange) setItems(null);
    void reload();
  }, [reload, clearItemsOnChange]);

  return { items, setItems, total, setTotal, offset, setOffset, limit: pageSize, error, setError, reload };
}
