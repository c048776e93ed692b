// Countdown from a number of seconds sent by the server (see mockexam/ui/countdown.py).
// Only elapsed time is measured here (performance.now is monotonic), never the
// device's wall clock, so the server's clock stays the only clock.
import { useEffect, useRef, useState } from "react";

function formatSeconds(total) {
  const s = Math.max(0, Math.ceil(total));
  const days = Math.floor(s / 86400);
  const pad = (n) => String(n).padStart(2, "0");
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days > 0 ? `${days}d ${hms}` : hms;
}

export function Countdown({ seconds, doneText = "", onDone, ...rest }) {
  const [left, setLeft] = useState(Math.max(0, Math.ceil(seconds ?? 0)));
  const onDoneRef = useRef(onDone);
  onDoneRef.current = onDone;

  useEffect(() => {
    const started = performance.now();
    const total = Number(seconds ?? 0);
    setLeft(Math.max(0, Math.ceil(total)));
    if (total <= 0) return undefined;
    const id = setInterval(() => {
      const remaining = Math.max(0, Math.ceil(total - (performance.now() - started) / 1000));
      setLeft(remaining);
      if (remaining <= 0) {
        clearInterval(id);
        if (onDoneRef.current) onDoneRef.current();
      }
    }, 250);
    return () => clearInterval(id);
  }, [seconds]);

  return (
    <span style={{ fontVariantNumeric: "tabular-nums" }} {...rest}>
      {left > 0 ? formatSeconds(left) : doneText}
    </span>
  );
}
