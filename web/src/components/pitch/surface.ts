// A canvas showing the pitch: keeps its backing store at the element's size × devicePixelRatio,
// re-renders the markings (cached in an offscreen canvas) on resize or theme change, and tells
// its owner to redraw whatever goes on top.
import { useEffect, useRef, type RefObject } from "react";
import { drawPitch, readPitchColours } from "./drawPitch";
import { pitchView, type PitchSize, type PitchView } from "./geometry";

export class PitchSurface {
  view: PitchView | null = null;
  readonly ctx: CanvasRenderingContext2D | null;
  private background: HTMLCanvasElement | null = null;
  private readonly resizeObserver: ResizeObserver | null;
  private readonly themeObserver: MutationObserver | null;
  private readonly canvas: HTMLCanvasElement;
  private readonly pitch: PitchSize;
  private readonly onChange: () => void;

  constructor(canvas: HTMLCanvasElement, pitch: PitchSize, onChange: () => void) {
    this.canvas = canvas;
    this.pitch = pitch;
    this.onChange = onChange;
    this.ctx = canvas.getContext("2d");
    this.resizeObserver = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => this.layout());
    this.resizeObserver?.observe(canvas);
    this.themeObserver = typeof MutationObserver === "undefined" ? null : new MutationObserver(() => this.layout());
    this.themeObserver?.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    this.layout();
  }

  /** Size the backing store and redraw the markings. */
  layout() {
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (width <= 0 || height <= 0 || !this.ctx) return;
    const dpr = Math.min(3, window.devicePixelRatio || 1);
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.view = pitchView(this.pitch, width, height);
    const background = document.createElement("canvas");
    background.width = this.canvas.width;
    background.height = this.canvas.height;
    const bctx = background.getContext("2d");
    if (bctx) {
      bctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawPitch(bctx, this.view, readPitchColours(this.canvas));
      this.background = background;
    }
    this.onChange();
  }

  /** Start a frame: the pitch markings, in CSS pixels. */
  clear() {
    const ctx = this.ctx;
    if (!ctx || !this.view) return;
    if (this.background) {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(this.background, 0, 0);
      ctx.restore();
    } else {
      ctx.clearRect(0, 0, this.view.widthPx, this.view.heightPx);
    }
  }

  dispose() {
    this.resizeObserver?.disconnect();
    this.themeObserver?.disconnect();
  }
}

/** A PitchSurface for a canvas element, alive while the component is mounted (and the pitch size unchanged). */
export function usePitchSurface(canvasRef: RefObject<HTMLCanvasElement | null>, pitch: PitchSize, onChange: () => void) {
  const surface = useRef<PitchSurface | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    if (!canvasRef.current) return;
    const created = new PitchSurface(canvasRef.current, pitch, () => onChangeRef.current());
    surface.current = created;
    return () => {
      created.dispose();
      surface.current = null;
    };
  }, [canvasRef, pitch.length, pitch.width]); // eslint-disable-line react-hooks/exhaustive-deps
  return surface;
}
