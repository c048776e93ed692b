// A phone-first PDF viewer on pdf.js (see mockexam/ui/pdf_viewer.py).
//
// One page at a time on a canvas drawn at the device pixel ratio, as wide as
// the viewer ("fit"), zoomable with buttons or a two-finger pinch inside the
// scroll box (the canvas is stretched with CSS during the gesture and drawn
// again sharp when it ends). pdf.js is the legacy build (it carries polyfills
// for older Telegram WebViews) and is imported inside an effect: pages are
// pre-rendered in Node at build time and must not evaluate it there.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import env from "$/env.json";
import { getBackendURL } from "$/utils/state";
import workerUrl from "pdfjs-dist/legacy/build/pdf.worker.min.mjs?url";

const MIN_ZOOM = 0.5;
const MAX_ZOOM = 4;
const ZOOM_STEP = 1.25;
// iOS Safari refuses canvases above ~16.7M pixels; stay well under.
const MAX_CANVAS_PIXELS = 12_000_000;

const DEFAULT_LABELS = {
  loading: "Loading…",
  error: "Could not open the PDF.",
  page: "Page",
  zoomIn: "Zoom in",
  zoomOut: "Zoom out",
  fit: "Fit to width",
  prev: "Previous page",
  next: "Next page",
};

const CSS = `
.mockexam-pdf { display: flex; flex-direction: column; gap: 0.5rem; width: 100%; }
.mockexam-pdf-bar { display: flex; align-items: center; justify-content: space-between; gap: 0.25rem; flex-wrap: nowrap; }
.mockexam-pdf-group { display: flex; align-items: center; gap: 0.25rem; }
.mockexam-pdf-btn { all: unset; box-sizing: border-box; width: 2.5rem; height: 2.5rem; display: inline-flex; align-items: center; justify-content: center; border-radius: var(--radius-3, 8px); background: var(--tg-theme-secondary-bg-color, var(--gray-a3, #eee)); color: var(--tg-theme-text-color, var(--gray-12, #111)); cursor: pointer; -webkit-tap-highlight-color: transparent; }
.mockexam-pdf-btn:disabled { opacity: 0.4; cursor: default; }
.mockexam-pdf-btn:focus-visible { outline: 2px solid var(--accent-8, #88f); outline-offset: 1px; }
.mockexam-pdf-btn:not(:disabled):active { transform: scale(0.94); }
.mockexam-pdf-count { min-width: 4.5rem; text-align: center; font-variant-numeric: tabular-nums; font-size: 0.95rem; color: var(--tg-theme-text-color, var(--gray-12, #111)); }
.mockexam-pdf-scroll { position: relative; overflow: auto; touch-action: pan-x pan-y; -webkit-overflow-scrolling: touch; overscroll-behavior: contain; border-radius: var(--radius-3, 8px); background: var(--tg-theme-secondary-bg-color, var(--gray-3, #f0f0f0)); }
.mockexam-pdf-canvas { display: block; margin: 0 auto; background: #fff; box-shadow: 0 1px 3px rgba(0,0,0,0.15); }
.mockexam-pdf-status { position: absolute; inset: 0; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 0.75rem; padding: 1rem; text-align: center; color: var(--tg-theme-hint-color, var(--gray-11, #666)); }
.mockexam-pdf-error { color: var(--tg-theme-destructive-text-color, var(--red-11, #c00)); }
.mockexam-pdf-spinner { width: 2rem; height: 2rem; border-radius: 50%; border: 3px solid var(--gray-a5, #ccc); border-top-color: var(--tg-theme-button-color, var(--accent-9, #55f)); animation: mockexam-pdf-spin 0.8s linear infinite; }
@keyframes mockexam-pdf-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .mockexam-pdf-spinner { animation-duration: 2.4s; } }
`;

let pdfjsPromise = null;

function loadPdfjs() {
  if (!pdfjsPromise) {
    pdfjsPromise = import("pdfjs-dist/legacy/build/pdf.mjs")
      .then((pdfjs) => {
        pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;
        return pdfjs;
      })
      .catch((e) => {
        pdfjsPromise = null;
        throw e;
      });
  }
  return pdfjsPromise;
}

// "/files/x.pdf" lives on the Reflex backend, which in dev runs on another
// port than the frontend: resolve it like Reflex resolves its own endpoints.
export function resolvePdfUrl(url) {
  if (!url) return "";
  if (!url.startsWith("/") || url.startsWith("//")) return url;
  try {
    return new URL(url, getBackendURL(env.PING).origin).toString();
  } catch (e) {
    return url;
  }
}

const clampZoom = (z) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
const distance = (a, b) => Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);

function Icon({ d }) {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor"
      strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={d} />
    </svg>
  );
}

const ICONS = {
  prev: "M15 18l-6-6 6-6",
  next: "M9 18l6-6-6-6",
  zoomOut: "M5 12h14",
  zoomIn: "M12 5v14M5 12h14",
  fit: "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5",
};

export function PdfViewer({ url, labels, height = "70dvh", className, style, ...rest }) {
  const text = useMemo(() => ({ ...DEFAULT_LABELS, ...(labels || {}) }), [labels]);
  const scrollRef = useRef(null);
  const canvasRef = useRef(null);
  const docRef = useRef(null);
  const renderTaskRef = useRef(null);
  const pinchRef = useRef(null);
  const zoomRef = useRef(1);

  const [status, setStatus] = useState("loading");
  const [numPages, setNumPages] = useState(0);
  const [page, setPage] = useState(1);
  const [zoom, setZoom] = useState(1);
  const [width, setWidth] = useState(0);
  zoomRef.current = zoom;

  // Load the document whenever the URL changes.
  useEffect(() => {
    let cancelled = false;
    let task = null;
    setStatus("loading");
    setNumPages(0);
    setPage(1);
    setZoom(1);
    if (!url) return undefined;
    loadPdfjs()
      .then((pdfjs) => {
        if (cancelled) return null;
        task = pdfjs.getDocument({ url: resolvePdfUrl(url), isEvalSupported: false });
        return task.promise;
      })
      .then((doc) => {
        if (cancelled || !doc) return;
        docRef.current = doc;
        setNumPages(doc.numPages);
        setStatus("ready");
      })
      .catch((e) => {
        if (cancelled) return;
        console.warn("[mockexam] PDF failed to load", e);
        setStatus("error");
      });
    return () => {
      cancelled = true;
      if (renderTaskRef.current) renderTaskRef.current.cancel();
      if (task) task.destroy();
      docRef.current = null;
    };
  }, [url]);

  // Fit-to-width follows the box's width (rotation, window resize).
  useEffect(() => {
    const box = scrollRef.current;
    if (!box) return undefined;
    const measure = () => setWidth(box.clientWidth);
    measure();
    if (typeof ResizeObserver === "undefined") {
      window.addEventListener("resize", measure);
      return () => window.removeEventListener("resize", measure);
    }
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    return () => observer.disconnect();
  }, []);

  // Draw the current page at the current zoom, sharp at the device pixel ratio.
  useEffect(() => {
    const doc = docRef.current;
    const canvas = canvasRef.current;
    if (status !== "ready" || !doc || !canvas || width <= 0) return undefined;
    let cancelled = false;
    doc
      .getPage(page)
      .then((pdfPage) => {
        if (cancelled) return null;
        const base = pdfPage.getViewport({ scale: 1 });
        const cssWidth = Math.max(1, Math.floor(width * zoom));
        const viewport = pdfPage.getViewport({ scale: cssWidth / base.width });
        let ratio = window.devicePixelRatio || 1;
        const pixels = viewport.width * viewport.height * ratio * ratio;
        if (pixels > MAX_CANVAS_PIXELS) ratio *= Math.sqrt(MAX_CANVAS_PIXELS / pixels);
        canvas.width = Math.floor(viewport.width * ratio);
        canvas.height = Math.floor(viewport.height * ratio);
        canvas.style.width = `${Math.floor(viewport.width)}px`;
        canvas.style.height = `${Math.floor(viewport.height)}px`;
        if (renderTaskRef.current) renderTaskRef.current.cancel();
        const task = pdfPage.render({
          canvasContext: canvas.getContext("2d"),
          viewport,
          transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
        });
        renderTaskRef.current = task;
        return task.promise;
      })
      .then(() => {
        if (!cancelled) canvas.dataset.renderedPage = String(page);
      })
      .catch((e) => {
        if (e && e.name === "RenderingCancelledException") return;
        if (!cancelled) {
          console.warn("[mockexam] PDF page failed to render", e);
          setStatus("error");
        }
      });
    return () => {
      cancelled = true;
    };
  }, [status, page, zoom, width]);

  // A new page starts at its top-left corner.
  useEffect(() => {
    const box = scrollRef.current;
    if (box) box.scrollTo(0, 0);
  }, [page]);

  // Two-finger pinch: stretch the canvas live, keep the point under the
  // fingers in place, then draw it again at the new zoom.
  useEffect(() => {
    const box = scrollRef.current;
    if (!box) return undefined;
    const onStart = (e) => {
      const canvas = canvasRef.current;
      if (e.touches.length !== 2 || !canvas) return;
      const [a, b] = [e.touches[0], e.touches[1]];
      const rect = box.getBoundingClientRect();
      const mx = (a.clientX + b.clientX) / 2 - rect.left;
      const my = (a.clientY + b.clientY) / 2 - rect.top;
      const w = canvas.offsetWidth || 1;
      const h = canvas.offsetHeight || 1;
      pinchRef.current = {
        d0: distance(a, b) || 1,
        z0: zoomRef.current,
        w0: w,
        h0: h,
        fx: (box.scrollLeft + mx - canvas.offsetLeft) / w,
        fy: (box.scrollTop + my - canvas.offsetTop) / h,
        mx,
        my,
        ratio: 1,
      };
    };
    const onMove = (e) => {
      const pinch = pinchRef.current;
      const canvas = canvasRef.current;
      if (!pinch || e.touches.length !== 2 || !canvas) return;
      e.preventDefault();
      const z = clampZoom((pinch.z0 * distance(e.touches[0], e.touches[1])) / pinch.d0);
      pinch.ratio = z / pinch.z0;
      canvas.style.width = `${pinch.w0 * pinch.ratio}px`;
      canvas.style.height = `${pinch.h0 * pinch.ratio}px`;
      box.scrollLeft = canvas.offsetLeft + pinch.fx * pinch.w0 * pinch.ratio - pinch.mx;
      box.scrollTop = canvas.offsetTop + pinch.fy * pinch.h0 * pinch.ratio - pinch.my;
    };
    const onEnd = (e) => {
      const pinch = pinchRef.current;
      if (!pinch || e.touches.length >= 2) return;
      pinchRef.current = null;
      const z = clampZoom(pinch.z0 * pinch.ratio);
      if (Math.abs(z - pinch.z0) > 0.01) setZoom(z);
    };
    box.addEventListener("touchstart", onStart, { passive: true });
    box.addEventListener("touchmove", onMove, { passive: false });
    box.addEventListener("touchend", onEnd);
    box.addEventListener("touchcancel", onEnd);
    return () => {
      box.removeEventListener("touchstart", onStart);
      box.removeEventListener("touchmove", onMove);
      box.removeEventListener("touchend", onEnd);
      box.removeEventListener("touchcancel", onEnd);
    };
  }, []);

  const go = useCallback(
    (delta) => setPage((p) => Math.min(Math.max(1, p + delta), Math.max(1, numPages))),
    [numPages],
  );
  const ready = status === "ready";
  const count = ready ? `${page} / ${numPages}` : "– / –";

  return (
    <div className={["mockexam-pdf", className].filter(Boolean).join(" ")} style={style} {...rest}>
      <style>{CSS}</style>
      <div className="mockexam-pdf-bar">
        <div className="mockexam-pdf-group">
          <button type="button" className="mockexam-pdf-btn" onClick={() => go(-1)}
            disabled={!ready || page <= 1} aria-label={text.prev} title={text.prev}>
            <Icon d={ICONS.prev} />
          </button>
          <span className="mockexam-pdf-count" aria-live="polite"
            aria-label={ready ? `${text.page} ${page} / ${numPages}` : undefined}>
            {count}
          </span>
          <button type="button" className="mockexam-pdf-btn" onClick={() => go(1)}
            disabled={!ready || page >= numPages} aria-label={text.next} title={text.next}>
            <Icon d={ICONS.next} />
          </button>
        </div>
        <div className="mockexam-pdf-group">
          <button type="button" className="mockexam-pdf-btn"
            onClick={() => setZoom((z) => clampZoom(z / ZOOM_STEP))}
            disabled={!ready || zoom <= MIN_ZOOM} aria-label={text.zoomOut} title={text.zoomOut}>
            <Icon d={ICONS.zoomOut} />
          </button>
          <button type="button" className="mockexam-pdf-btn" onClick={() => setZoom(1)}
            disabled={!ready || zoom === 1} aria-label={text.fit} title={text.fit}>
            <Icon d={ICONS.fit} />
          </button>
          <button type="button" className="mockexam-pdf-btn"
            onClick={() => setZoom((z) => clampZoom(z * ZOOM_STEP))}
            disabled={!ready || zoom >= MAX_ZOOM} aria-label={text.zoomIn} title={text.zoomIn}>
            <Icon d={ICONS.zoomIn} />
          </button>
        </div>
      </div>
      <div ref={scrollRef} className="mockexam-pdf-scroll" style={{ height }}>
        <canvas ref={canvasRef} className="mockexam-pdf-canvas"
          style={{ visibility: ready ? "visible" : "hidden" }} />
        {status === "loading" ? (
          <div className="mockexam-pdf-status" role="status">
            <div className="mockexam-pdf-spinner" aria-hidden="true" />
            <span>{text.loading}</span>
          </div>
        ) : null}
        {status === "error" ? (
          <div className="mockexam-pdf-status mockexam-pdf-error" role="alert">
            <span>{text.error}</span>
          </div>
        ) : null}
      </div>
    </div>
  );
}
