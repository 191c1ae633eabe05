// A grid (heat map) drawn over the pitch on a canvas.
import { useCallback, useEffect, useMemo, useRef } from "react";
import type { PitchGrid } from "../../lib/football/types";
import { DEFAULT_PITCH, pitchAspect, type PitchSize } from "./geometry";
import { drawGridImage, gridImage, heatColour } from "./grid";
import { usePitchSurface } from "./surface";

export function PitchGridCanvas({ grid, pitch = DEFAULT_PITCH, label, testId }: {
  grid: PitchGrid | null;
  pitch?: PitchSize;
  label: string;
  testId?: string;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const image = useMemo(() => {
    if (!grid) return null;
    const max = grid.values.reduce((m, v) => (Number.isFinite(v) && v > m ? v : m), 0);
    return gridImage(grid, heatColour(max));
  }, [grid]);
  const imageRef = useRef(image);
  imageRef.current = image;

  const draw = useCallback(() => {
    const s = surface.current;
    if (!s?.ctx || !s.view) return;
    s.clear();
    if (imageRef.current && grid) drawGridImage(s.ctx, s.view, imageRef.current, grid.extent, 0.9);
  }, [grid]); // eslint-disable-line react-hooks/exhaustive-deps
  const surface = usePitchSurface(canvasRef, pitch, () => draw());
  // Redraw when the grid changes (the surface redraws itself on resize and theme changes).
  useEffect(() => draw(), [draw]);

  return (
    <div className="pitch-frame" style={{ aspectRatio: String(pitchAspect(pitch)) }}>
      <canvas ref={canvasRef} className="pitch-canvas" role="img" aria-label={label} data-testid={testId} />
    </div>
  );
}
