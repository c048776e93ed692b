// Countdown from a number of seconds sent by the server (see mockexam/ui/countdown.py).
//
// Each new `seconds` value fixes a deadline once (Date.now() + seconds) and the
// count ticks against Date.now(). performance.now() is not used: it can stop
// while a phone sleeps, which would leave the count too high after waking. The
// server stays the authority: whenever the page becomes visible again
// `onVisible` fires so the server can resend the true remaining seconds.
//
// Nothing here touches window/document at module scope (pages are pre-rendered
// in Node at build time); listeners are attached in effects only.
import { useEffect, useRef, useState } from "react";

const STYLE_ID = "mockexam-countdown-style";
const WARN_CLASS = "mockexam-countdown-warn";
const STYLE_TEXT = `
@keyframes mockexam-countdown-flash { 0%, 100% { opacity: 1; } 50% { opacity: 0.35; } }
.${WARN_CLASS} { color: var(--red-11); animation: mockexam-countdown-flash 1s ease-in-out infinite; }
@media (prefers-reduced-motion: reduce) { .${WARN_CLASS} { animation: none; } }
`;

function ensureStyle() {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const el = document.createElement("style");
  el.id = STYLE_ID;
  el.textContent = STYLE_TEXT;
  document.head.appendChild(el);
}

export function formatSeconds(total, daySuffix = "d") {
  const s = Math.max(0, Math.ceil(total));
  const days = Math.floor(s / 86400);
  const pad = (n) => String(n).padStart(2, "0");
  const hours = Math.floor((s % 86400) / 3600);
  const ms = `${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  if (days > 0) return `${days}${daySuffix} ${pad(hours)}:${ms}`;
  // Under an hour "09:59" reads faster than "00:09:59".
  return hours > 0 ? `${pad(hours)}:${ms}` : ms;
}

export function Countdown({
  seconds,
  doneText = "",
  daySuffix = "d",
  warnBelow = 0,
  onDone,
  onVisible,
  className,
  style,
  ...rest
}) {
  const [left, setLeft] = useState(Math.max(0, Math.ceil(Number(seconds ?? 0))));
  const onDoneRef = useRef(onDone);
  const onVisibleRef = useRef(onVisible);
  onDoneRef.current = onDone;
  onVisibleRef.current = onVisible;
  // Recomputes `left` now; set by the counting effect, used on wake-up.
  const tickRef = useRef(() => {});

  useEffect(() => {
    const total = Number(seconds ?? 0);
    const deadline = Date.now() + Math.max(0, total) * 1000;
    let done = false;
    let id = null;
    const stop = () => {
      if (id !== null) clearInterval(id);
      id = null;
    };
    const tick = () => {
      if (done) return;
      const remaining = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      setLeft(remaining);
      if (remaining <= 0) {
        done = true;
        stop();
        if (onDoneRef.current) onDoneRef.current();
      }
    };
    setLeft(Math.max(0, Math.ceil(total)));
    if (!(total > 0)) {
      tickRef.current = () => {};
      return undefined;
    }
    tickRef.current = tick;
    id = setInterval(tick, 250);
    return () => {
      done = true;
      stop();
      tickRef.current = () => {};
    };
  }, [seconds]);

  useEffect(() => {
    // Back from a hidden tab, a sleeping phone or a minimised Mini App: catch
    // up at once and ask the server for the true figure.
    const woke = () => {
      tickRef.current();
      if (onVisibleRef.current) onVisibleRef.current();
    };
    const onVisibility = () => {
      if (document.visibilityState === "visible") woke();
    };
    const onPageShow = (e) => {
      if (e.persisted) woke();
    };
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("pageshow", onPageShow);
    // Sent by TelegramBridge when Telegram reports the Mini App active again.
    window.addEventListener("mockexam:activated", woke);
    return () => {
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("pageshow", onPageShow);
      window.removeEventListener("mockexam:activated", woke);
    };
  }, []);

  const warn = left > 0 && Number(warnBelow) > 0 && left <= Number(warnBelow);
  useEffect(() => {
    if (warn) ensureStyle();
  }, [warn]);

  const classes = [className, warn ? WARN_CLASS : null].filter(Boolean).join(" ");
  return (
    <span
      className={classes || undefined}
      style={{
        fontVariantNumeric: "tabular-nums",
        ...(style || {}),
        ...(warn ? { color: "var(--red-11)" } : {}),
      }}
      {...rest}
    >
      {left > 0 ? formatSeconds(left, daySuffix) : doneText}
    </span>
  );
}

// Its children only before (`show="before"`) or from (`show="after"`) the moment the
// server's `seconds` run out, on the same clock as Countdown (each new value fixes a
// deadline once). The exam's lobby turns into the start button this way at the opening:
// every student's page in the same second, and not one event to the server.
export function ClockGate({ seconds, show = "after", children }) {
  const [passed, setPassed] = useState(() => !(Number(seconds ?? 0) > 0));
  useEffect(() => {
    const total = Number(seconds ?? 0);
    if (!(total > 0)) {
      setPassed(true);
      return undefined;
    }
    setPassed(false);
    const deadline = Date.now() + total * 1000;
    const check = () => {
      if (Date.now() >= deadline) setPassed(true);
    };
    const id = setInterval(check, 250);
    // A sleeping phone or a hidden tab: catch up the moment it is back.
    document.addEventListener("visibilitychange", check);
    window.addEventListener("mockexam:activated", check);
    return () => {
      clearInterval(id);
      document.removeEventListener("visibilitychange", check);
      window.removeEventListener("mockexam:activated", check);
    };
  }, [seconds]);
  return (show === "after") === passed ? <>{children}</> : null;
}
