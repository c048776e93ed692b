// The exam's answer sheet (see mockexam/ui/answer_sheet.py). Nothing typed is ever lost:
//
// - Every change is written to localStorage first, as a "pending" entry with a
//   per-session monotonic seq (kept in localStorage too), then sent to the
//   server as a batch {seq, changes: {label: {value, flagged}}} carrying every
//   pending entry (so a later batch always holds the newest values).
// - The server answers with a tiny ack (ackSeq = the batch's seq, and the
//   refused labels with their reason); a pending entry is dropped only when an
//   ack covers its seq. Nothing else comes back: the sheet itself lives here.
//   A batch names its page load (loadId): seqs rise within one load, and the
//   server stores nothing of a batch older than one it stored in this load.
// - Unacked entries are re-sent after a few seconds, when the connection
//   comes back, and on mount / after every page load (a reload or a backend
//   restart gives a new page state: the server's saved answers are shown with
//   the pending entries merged over them). A re-send that gets no ack doubles
//   the wait before the next (4, 8, 16, 30 s): when thousands of tabs wait on
//   a slow server, re-sending every 4 s would multiply its load until no
//   ack ever came in time. An ack, or the connection coming back, starts over.
// Typing is sent ~600 ms after the last key, on blur, and a tap at once.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { Check, CircleAlert, CloudOff, Flag, LoaderCircle } from "lucide-react";

const DEBOUNCE_MS = 600;
const RESEND_MS = 4000;
const RESEND_MAX_MS = 30000;
const SUBMIT_RETRY_MS = 8000;
const MAX_CHARS = 64;
const STORAGE_PREFIX = "mockexam:sheet:";
// Shown → inserted at the cursor (the minus is typed as ASCII; grading unifies them).
const KEYPAD = [
  ["−", "-"],
  ["/", "/"],
  [".", "."],
  [",", ","],
  ["√", "√"],
  ["π", "π"],
  ["^", "^"],
  ["(", "("],
  [")", ")"],
];

// --- storage ---------------------------------------------------------------------------

function storageKey(sessionKey) {
  return STORAGE_PREFIX + sessionKey;
}

function loadStore(sessionKey) {
  try {
    const raw = window.localStorage.getItem(storageKey(sessionKey));
    const parsed = raw ? JSON.parse(raw) : null;
    if (
      parsed &&
      Number.isFinite(parsed.seq) &&
      parsed.pending &&
      typeof parsed.pending === "object"
    ) {
      return { seq: parsed.seq, pending: parsed.pending };
    }
  } catch (e) {
    // unreadable: start empty (the server still has every acked answer)
  }
  return { seq: 0, pending: {} };
}

function saveStore(sessionKey, store) {
  try {
    window.localStorage.setItem(storageKey(sessionKey), JSON.stringify(store));
  } catch (e) {
    // private mode / full: the entries stay in memory and are still sent
  }
}

// --- the unsent count, shared with the connection banner ------------------------------

const shared = { unsent: 0 };
const listeners = new Set();

function publishUnsent(count) {
  if (shared.unsent === count) return;
  shared.unsent = count;
  listeners.forEach((listener) => listener());
}

function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function useBrowserOnline() {
  const [online, setOnline] = useState(true);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine !== false);
    update();
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
    };
  }, []);
  return online;
}

function fill(text, n) {
  return String(text ?? "").replace("{n}", String(n));
}

function haptic(kind) {
  try {
    if (window.mockexamHaptic) window.mockexamHaptic(kind);
  } catch (e) {
    // a nicety only
  }
}

// --- the connection banner -------------------------------------------------------------

export function SheetBanner({ offline = false, labels = {}, colors = {}, ...rest }) {
  const unsent = useSyncExternalStore(subscribe, () => shared.unsent, () => 0);
  const online = useBrowserOnline();
  if (!offline && online) return null;
  return (
    <div
      id="connection-banner"
      role="status"
      aria-live="polite"
      style={{
        display: "flex",
        alignItems: "center",
        gap: "0.6rem",
        padding: "0.6rem 0.8rem",
        borderRadius: "12px",
        background: "var(--amber-a3)",
        color: "var(--amber-12)",
        border: "1px solid var(--amber-a6)",
        fontSize: "0.875rem",
        lineHeight: 1.35,
      }}
      {...rest}
    >
      <CloudOff size={20} style={{ flexShrink: 0 }} aria-hidden="true" />
      <div style={{ flex: 1, minWidth: 0 }}>
        <div>{labels.offline}</div>
        {unsent > 0 ? (
          <div style={{ fontWeight: 600, marginTop: 2, fontVariantNumeric: "tabular-nums" }}>
            {labels.unsent}: <span id="unsent-count">{unsent}</span>
          </div>
        ) : null}
      </div>
    </div>
  );
}

// --- the sheet -------------------------------------------------------------------------

function groupExercises(items) {
  const byNumber = new Map();
  for (const item of items || []) {
    if (!byNumber.has(item.number)) byNumber.set(item.number, []);
    byNumber.get(item.number).push(item);
  }
  return [...byNumber.entries()].map(([number, parts]) => ({ number, parts }));
}

function StatusMark({ status, labels, colors, id }) {
  const common = { id, title: labels[status] ?? "", "aria-label": labels[status] ?? "" };
  const box = {
    width: 22,
    height: 22,
    display: "inline-flex",
    alignItems: "center",
    justifyContent: "center",
    flexShrink: 0,
  };
  if (status === "saved")
    return (
      <span {...common} data-status="saved" style={{ ...box, color: "var(--green-10)" }}>
        <Check size={16} strokeWidth={3} />
      </span>
    );
  if (status === "saving")
    return (
      <span {...common} data-status="saving" style={{ ...box, color: colors.hint }}>
        <LoaderCircle size={16} className="mockexam-spin" />
      </span>
    );
  if (status === "queued")
    return (
      <span {...common} data-status="queued" style={{ ...box, color: "var(--amber-11)" }}>
        <CloudOff size={16} />
      </span>
    );
  if (status === "refused")
    return (
      <span {...common} data-status="refused" style={{ ...box, color: colors.destructive }}>
        <CircleAlert size={16} />
      </span>
    );
  return <span id={id} data-status="none" style={box} />;
}

export function AnswerSheet({
  sessionKey = "",
  items = [],
  saved = {},
  ackSeq = 0,
  rejected = {},
  disabled = false,
  labels = {},
  colors = {},
  secondsLeft = 0,
  loadId = "",
  offline = false,
  saveError = "",
  onSave,
  onSubmit,
  ...rest
}) {
  const exercises = useMemo(() => groupExercises(items), [items]);
  const known = useMemo(() => new Set((items || []).map((item) => item.label)), [items]);
  const [values, setValues] = useState({});
  const [flags, setFlags] = useState({});
  const [refused, setRefused] = useState({});
  const [, setTick] = useState(0);
  const [focused, setFocused] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [highlight, setHighlight] = useState(null);

  const storeRef = useRef({ seq: 0, pending: {} });
  const sentRef = useRef({}); // label → {seq, at} of the last send
  const lastSendRef = useRef(0);
  const resendAfterRef = useRef(RESEND_MS); // the wait before the next re-send (backs off)
  const debounceRef = useRef(null);
  const submitRef = useRef(null); // {at, auto} while a submit is on its way
  const deadlineRef = useRef(Infinity); // Date.now() at which the time is up
  const inputRefs = useRef({});
  const browserOnline = useBrowserOnline();
  const lost = offline || !browserOnline;
  const live = useRef({});
  live.current = { onSave, onSubmit, lost, disabled, sessionKey, known, loadId };

  const bump = useCallback(() => setTick((t) => t + 1), []);
  const pendingCount = () => Object.keys(storeRef.current.pending).length;
  const publish = () => publishUnsent(pendingCount());

  const buildBatch = useCallback(() => {
    const changes = {};
    let seq = 0;
    for (const [label, entry] of Object.entries(storeRef.current.pending)) {
      if (!live.current.known.has(label)) continue;
      changes[label] = {
        value: typeof entry.value === "string" ? entry.value : null,
        flagged: typeof entry.flagged === "boolean" ? entry.flagged : null,
      };
      seq = Math.max(seq, entry.seq);
    }
    // The page load it belongs to: the server ignores a batch of an earlier load
    // that it happens to process late (this load re-sends the same changes).
    return { seq, changes, load: live.current.loadId || "" };
  }, []);

  const flush = useCallback(() => {
    window.clearTimeout(debounceRef.current);
    const { onSave: save, lost: isLost, disabled: isDisabled } = live.current;
    if (isLost || isDisabled || submitRef.current || !save) return;
    const batch = buildBatch();
    const labelsSent = Object.keys(batch.changes);
    if (labelsSent.length === 0) return;
    const at = Date.now();
    for (const label of labelsSent) {
      sentRef.current[label] = { seq: storeRef.current.pending[label].seq, at };
    }
    lastSendRef.current = at;
    save(batch);
    bump();
  }, [buildBatch, bump]);

  // Every page load (and the first mount): the server's answers, pending ones over them.
  useEffect(() => {
    if (!sessionKey) return;
    const store = loadStore(sessionKey);
    for (const label of Object.keys(store.pending)) {
      if (!live.current.known.has(label)) delete store.pending[label];
    }
    storeRef.current = store;
    sentRef.current = {};
    resendAfterRef.current = RESEND_MS;
    const nextValues = {};
    const nextFlags = {};
    for (const [label, answer] of Object.entries(saved || {})) {
      nextValues[label] = answer?.value ?? "";
      nextFlags[label] = !!answer?.flagged;
    }
    for (const [label, entry] of Object.entries(store.pending)) {
      if (typeof entry.value === "string") nextValues[label] = entry.value;
      if (typeof entry.flagged === "boolean") nextFlags[label] = entry.flagged;
    }
    setValues(nextValues);
    setFlags(nextFlags);
    setRefused({});
    submitRef.current = null;
    setSubmitting(false);
    publish();
    flush();
    // Only a new page load re-merges: a rehydration of the same page state
    // re-sends `saved` as it was at the load, older than what was acked since.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sessionKey, loadId]);

  // The ack: drop what it covers; remember the refusals.
  useEffect(() => {
    const store = storeRef.current;
    const nowRefused = {};
    let dropped = false;
    for (const [label, entry] of Object.entries(store.pending)) {
      if (entry.seq <= ackSeq) {
        delete store.pending[label];
        delete sentRef.current[label];
        dropped = true;
        if (rejected && rejected[label]) nowRefused[label] = rejected[label];
      }
    }
    if (!dropped) return;
    resendAfterRef.current = RESEND_MS; // the server answers again: back to the short wait
    saveStore(live.current.sessionKey, store);
    if (Object.keys(nowRefused).length) {
      setRefused((old) => ({ ...old, ...nowRefused }));
      haptic("error");
    }
    publish();
    bump();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ackSeq, rejected]);

  // Back online: send what waited.
  useEffect(() => {
    if (!lost) {
      resendAfterRef.current = RESEND_MS;
      flush();
    }
  }, [lost, flush]);

  // The clock (the server's seconds, counted here), re-based on every new value.
  useEffect(() => {
    deadlineRef.current = Date.now() + Math.max(0, Number(secondsLeft) || 0) * 1000;
  }, [secondsLeft, loadId]);

  const submit = useCallback(
    (auto) => {
      const { onSubmit: send, disabled: isDisabled } = live.current;
      if (!send || isDisabled) return;
      if (submitRef.current && Date.now() - submitRef.current.at < SUBMIT_RETRY_MS) return;
      window.clearTimeout(debounceRef.current);
      submitRef.current = { at: Date.now(), auto };
      setSubmitting(true);
      setConfirming(false);
      haptic(auto ? "warning" : "success");
      send({ ...buildBatch(), auto: !!auto });
    },
    [buildBatch],
  );

  // Once a second: re-send unacked entries, time up → submit, retry a lost submit.
  useEffect(() => {
    const check = () => {
      const now = Date.now();
      const pending = storeRef.current.pending;
      if (submitRef.current) {
        if (live.current.lost) {
          submitRef.current.at = now; // queued by the page until the connection returns
        } else if (now - submitRef.current.at >= SUBMIT_RETRY_MS) {
          const { auto } = submitRef.current;
          submitRef.current = null;
          if (auto) submit(true);
          else setSubmitting(false);
        }
        return;
      }
      if (now >= deadlineRef.current) {
        submit(true);
        return;
      }
      if (Object.keys(pending).length > 0) {
        if (!live.current.lost && now - lastSendRef.current >= resendAfterRef.current) {
          resendAfterRef.current = Math.min(resendAfterRef.current * 2, RESEND_MAX_MS);
          flush();
        }
        else bump();
      }
    };
    const timer = window.setInterval(check, 1000);
    const onVisible = () => document.visibilityState === "visible" && check();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [flush, submit, bump]);

  useEffect(() => () => window.clearTimeout(debounceRef.current), []);

  // --- changes ---------------------------------------------------------------------

  const record = (label, patch) => {
    const store = storeRef.current;
    store.seq += 1;
    store.pending[label] = { ...(store.pending[label] || {}), ...patch, seq: store.seq };
    saveStore(sessionKey, store);
    setRefused((old) => {
      if (!(label in old)) return old;
      const copy = { ...old };
      delete copy[label];
      return copy;
    });
    publish();
  };

  const choose = (label, option) => {
    if (disabled || submitting) return;
    const next = values[label] === option ? "" : option; // tap again to clear
    setValues((old) => ({ ...old, [label]: next }));
    record(label, { value: next });
    haptic("selection");
    flush();
  };

  const type = (label, text) => {
    if (disabled || submitting) return;
    const next = String(text).slice(0, MAX_CHARS);
    setValues((old) => ({ ...old, [label]: next }));
    record(label, { value: next });
    window.clearTimeout(debounceRef.current);
    debounceRef.current = window.setTimeout(flush, DEBOUNCE_MS);
    bump();
  };

  const toggleFlag = (exercise) => {
    if (disabled || submitting) return;
    const on = !exercise.parts.some((part) => flags[part.label]);
    const patch = {};
    for (const part of exercise.parts) {
      patch[part.label] = on;
      record(part.label, { flagged: on });
    }
    setFlags((old) => ({ ...old, ...patch }));
    haptic("light");
    flush();
  };

  const insert = (label, text) => {
    const input = inputRefs.current[label];
    const current = values[label] ?? "";
    const start = input?.selectionStart ?? current.length;
    const end = input?.selectionEnd ?? current.length;
    const next = (current.slice(0, start) + text + current.slice(end)).slice(0, MAX_CHARS);
    type(label, next);
    haptic("selection");
    const caret = Math.min(start + text.length, next.length);
    window.requestAnimationFrame(() => {
      if (input) {
        input.focus();
        try {
          input.setSelectionRange(caret, caret);
        } catch (e) {
          // some input types refuse selection ranges
        }
      }
    });
  };

  const jump = (number) => {
    const row = document.getElementById(`row-${number}`);
    if (row) {
      row.scrollIntoView({ behavior: "smooth", block: "center" });
      setHighlight(number);
      window.setTimeout(() => setHighlight((h) => (h === number ? null : h)), 1400);
    }
  };

  // --- what to show ------------------------------------------------------------------

  const now = Date.now();
  const statusOf = (label) => {
    const entry = storeRef.current.pending[label];
    if (entry) {
      if (lost) return "queued";
      const sent = sentRef.current[label];
      if (!sent) return lastSendRef.current && now - lastSendRef.current > RESEND_MS ? "queued" : "saving";
      return now - sent.at > RESEND_MS || saveError ? "queued" : "saving";
    }
    if (refused[label]) return "refused";
    // The tick means "your answer is stored"; a flag alone shows on its own button.
    if ((values[label] ?? "") !== "") return "saved";
    return "none";
  };

  const answeredOf = (exercise) =>
    exercise.parts.every((part) => String(values[part.label] ?? "").trim() !== "");
  const partlyOf = (exercise) =>
    !answeredOf(exercise) &&
    exercise.parts.some((part) => String(values[part.label] ?? "").trim() !== "");
  const flaggedOf = (exercise) => exercise.parts.some((part) => flags[part.label]);
  const answered = exercises.filter(answeredOf).length;
  const flagged = exercises.filter(flaggedOf).length;
  const unanswered = exercises.length - answered;
  const locked = disabled || submitting;

  const c = colors;
  const lastNumber = exercises.length ? exercises[exercises.length - 1].number : null;
  const hairline = "1px solid var(--gray-a4)";

  const countChip = (id, value, label, tone) => (
    <div
      style={{
        flex: 1,
        minWidth: 0,
        padding: "0.55rem 0.4rem",
        borderRadius: 12,
        background: c.secondaryBg,
        textAlign: "center",
      }}
    >
      <div
        id={id}
        style={{
          fontSize: "1.35rem",
          fontWeight: 700,
          lineHeight: 1.1,
          color: tone,
          fontVariantNumeric: "tabular-nums",
        }}
      >
        {value}
      </div>
      <div style={{ fontSize: "0.75rem", color: c.hint, marginTop: 2 }}>{label}</div>
    </div>
  );

  const choiceButton = (item, option) => {
    const selected = values[item.label] === option;
    return (
      <button
        key={option}
        id={`q-${item.label}-${option}`}
        type="button"
        aria-pressed={selected}
        aria-label={`${item.label} ${option}`}
        disabled={locked}
        onClick={() => choose(item.label, option)}
        style={{
          width: 46,
          height: 46,
          borderRadius: 12,
          border: selected ? `2px solid ${c.button}` : "1.5px solid var(--gray-a6)",
          background: selected ? c.button : "transparent",
          color: selected ? c.buttonText : c.text,
          fontSize: "1.05rem",
          fontWeight: selected ? 700 : 500,
          cursor: locked ? "default" : "pointer",
          transition: "background 120ms, border-color 120ms, transform 80ms",
          touchAction: "manipulation",
          opacity: locked && !selected ? 0.6 : 1,
        }}
      >
        {option}
      </button>
    );
  };

  const flagButton = (exercise) => {
    const on = flaggedOf(exercise);
    return (
      <button
        id={`flag-${exercise.number}`}
        type="button"
        aria-pressed={on}
        aria-label={on ? labels.unflag : labels.flag}
        title={on ? labels.unflag : labels.flag}
        disabled={locked}
        onClick={() => toggleFlag(exercise)}
        style={{
          width: 40,
          height: 40,
          flexShrink: 0,
          borderRadius: 10,
          border: "none",
          background: on ? "var(--amber-a4)" : "transparent",
          color: on ? "var(--amber-11)" : "var(--gray-a8)",
          display: "inline-flex",
          alignItems: "center",
          justifyContent: "center",
          cursor: locked ? "default" : "pointer",
          touchAction: "manipulation",
        }}
      >
        <Flag size={18} fill={on ? "currentColor" : "none"} />
      </button>
    );
  };

  const refusal = (label) =>
    refused[label] ? (
      <div
        id={`refused-${label}`}
        style={{ fontSize: "0.78rem", color: c.destructive, marginTop: 4, lineHeight: 1.3 }}
      >
        {refused[label]}
      </div>
    ) : null;

  const rowStyle = (number) => ({
    padding: "0.7rem 0.25rem",
    borderBottom: number === lastNumber ? "none" : hairline,
    scrollMarginTop: "9rem",
    background: highlight === number ? "var(--accent-a3)" : "transparent",
    transition: "background 400ms",
  });

  const numberStyle = {
    width: "2.1rem",
    flexShrink: 0,
    fontWeight: 700,
    fontSize: "1rem",
    color: c.text,
    fontVariantNumeric: "tabular-nums",
  };

  const mcqRow = (exercise) => {
    const item = exercise.parts[0];
    return (
      <div key={exercise.number} id={`row-${exercise.number}`} style={rowStyle(exercise.number)}>
        <div style={{ display: "flex", alignItems: "center", gap: 6 }}>
          <span style={numberStyle}>{exercise.number}.</span>
          <div style={{ display: "flex", gap: 7, flex: 1 }}>
            {(item.options || []).map((option) => choiceButton(item, option))}
          </div>
          <StatusMark
            id={`status-${item.label}`}
            status={statusOf(item.label)}
            labels={labels}
            colors={c}
          />
          {flagButton(exercise)}
        </div>
        {refusal(item.label)}
      </div>
    );
  };

  const keypad = (label) => (
    <div
      id={`keypad-${label}`}
      style={{ display: "grid", gridTemplateColumns: "repeat(9, 1fr)", gap: 5, marginTop: 8 }}
    >
      {KEYPAD.map(([shown, inserted]) => (
        <button
          key={shown}
          type="button"
          id={`key-${label}-${KEYPAD.findIndex((k) => k[0] === shown)}`}
          aria-label={shown}
          // keep the focus (and the phone's keyboard) in the input
          onPointerDown={(e) => e.preventDefault()}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => insert(label, inserted)}
          disabled={locked}
          style={{
            height: 40,
            borderRadius: 9,
            border: "none",
            background: c.secondaryBg,
            color: c.text,
            fontSize: "1.05rem",
            fontWeight: 600,
            touchAction: "manipulation",
            cursor: "pointer",
            boxShadow: "0 1px 0 var(--gray-a5)",
          }}
        >
          {shown}
        </button>
      ))}
    </div>
  );

  const freeInput = (item) => {
    const value = values[item.label] ?? "";
    const isRefused = !!refused[item.label];
    return (
      <div key={item.label}>
        <div style={{ display: "flex", alignItems: "center", gap: 8 }}>
          <label
            htmlFor={`q-${item.label}`}
            style={{ width: "1.3rem", color: c.hint, fontWeight: 600, flexShrink: 0 }}
          >
            {item.sub_part ? `${item.sub_part})` : ""}
          </label>
          <input
            id={`q-${item.label}`}
            ref={(el) => {
              inputRefs.current[item.label] = el;
            }}
            value={value}
            maxLength={MAX_CHARS}
            disabled={locked}
            inputMode="decimal"
            autoComplete="off"
            autoCorrect="off"
            autoCapitalize="off"
            spellCheck={false}
            enterKeyHint="done"
            placeholder={labels.placeholder}
            aria-invalid={isRefused}
            onChange={(e) => type(item.label, e.target.value)}
            onFocus={() => setFocused(item.label)}
            onBlur={() => {
              setFocused((f) => (f === item.label ? null : f));
              flush();
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter") e.currentTarget.blur();
            }}
            style={{
              flex: 1,
              minWidth: 0,
              height: 46,
              padding: "0 0.8rem",
              borderRadius: 12,
              border: isRefused
                ? `1.5px solid ${c.destructive}`
                : focused === item.label
                  ? `2px solid ${c.button}`
                  : "1.5px solid var(--gray-a6)",
              background: c.bg,
              color: c.text,
              fontSize: "1.05rem",
              fontFamily: "inherit",
              outline: "none",
            }}
          />
          <StatusMark
            id={`status-${item.label}`}
            status={statusOf(item.label)}
            labels={labels}
            colors={c}
          />
        </div>
        {refusal(item.label)}
      </div>
    );
  };

  const freeRow = (exercise) => {
    const typing = exercise.parts.find((part) => part.label === focused);
    return (
      <div key={exercise.number} id={`row-${exercise.number}`} style={rowStyle(exercise.number)}>
        <div style={{ display: "flex", alignItems: "flex-start", gap: 6 }}>
          <span style={{ ...numberStyle, lineHeight: "46px" }}>{exercise.number}.</span>
          <div style={{ flex: 1, minWidth: 0, display: "flex", flexDirection: "column", gap: 8 }}>
            {exercise.parts.map(freeInput)}
          </div>
          <div style={{ paddingTop: 3 }}>{flagButton(exercise)}</div>
        </div>
        {typing && !locked ? keypad(typing.label) : null}
      </div>
    );
  };

  const gridCell = (exercise) => {
    const done = answeredOf(exercise);
    const partly = partlyOf(exercise);
    const isFlagged = flaggedOf(exercise);
    return (
      <button
        key={exercise.number}
        id={`grid-${exercise.number}`}
        type="button"
        data-answered={done ? "true" : partly ? "partly" : "false"}
        data-flagged={isFlagged ? "true" : "false"}
        onClick={() => jump(exercise.number)}
        style={{
          position: "relative",
          height: 34,
          borderRadius: 8,
          border: done ? "none" : "1px solid var(--gray-a6)",
          background: done
            ? c.button
            : partly
              ? `linear-gradient(135deg, ${c.button} 0 50%, transparent 50% 100%)`
              : "transparent",
          color: done ? c.buttonText : c.text,
          fontSize: "0.8rem",
          fontWeight: 600,
          fontVariantNumeric: "tabular-nums",
          padding: 0,
          touchAction: "manipulation",
          cursor: "pointer",
          outline: isFlagged ? "2px solid var(--amber-9)" : "none",
          outlineOffset: 1,
        }}
      >
        {exercise.number}
        {isFlagged ? (
          <span
            style={{
              position: "absolute",
              top: -3,
              right: -3,
              width: 8,
              height: 8,
              borderRadius: 8,
              background: "var(--amber-9)",
            }}
          />
        ) : null}
      </button>
    );
  };

  const card = {
    background: c.section,
    borderRadius: 16,
    padding: "0.9rem",
    boxShadow: "var(--shadow-2)",
  };

  return (
    <div
      id="answer-sheet"
      data-pending={pendingCount()}
      style={{ display: "flex", flexDirection: "column", gap: 14, color: c.text }}
      {...rest}
    >
      <style>{`@keyframes mockexam-spin{to{transform:rotate(360deg)}}.mockexam-spin{animation:mockexam-spin 1s linear infinite}@media (prefers-reduced-motion: reduce){.mockexam-spin{animation:none}}#answer-sheet button:active:not(:disabled){transform:scale(0.96)}`}</style>

      <div style={card}>
        <div style={{ display: "flex", gap: 8 }}>
          {countChip("count-answered", answered, labels.answered, "var(--green-11)")}
          {countChip("count-unanswered", unanswered, labels.unanswered, c.text)}
          {countChip("count-flagged", flagged, labels.flagged, "var(--amber-11)")}
        </div>
        <div
          id="question-grid"
          style={{
            display: "grid",
            gridTemplateColumns: "repeat(auto-fill, minmax(34px, 1fr))",
            gap: 6,
            marginTop: 12,
          }}
        >
          {exercises.map(gridCell)}
        </div>
      </div>

      {saveError ? (
        <div
          id="save-error"
          role="alert"
          style={{
            display: "flex",
            gap: 8,
            alignItems: "center",
            padding: "0.6rem 0.8rem",
            borderRadius: 12,
            background: "var(--red-a3)",
            color: "var(--red-11)",
            fontSize: "0.875rem",
          }}
        >
          <CircleAlert size={18} style={{ flexShrink: 0 }} />
          <span>{saveError}</span>
        </div>
      ) : null}

      <div style={{ ...card, padding: "0.35rem 0.6rem" }}>
        {exercises.map((exercise) =>
          exercise.parts.length === 1 && exercise.parts[0].kind === "mcq"
            ? mcqRow(exercise)
            : freeRow(exercise),
        )}
      </div>

      <button
        id="submit-exam"
        type="button"
        disabled={locked}
        onClick={() => setConfirming(true)}
        style={{
          height: 52,
          borderRadius: 14,
          border: "none",
          background: c.button,
          color: c.buttonText,
          fontSize: "1.05rem",
          fontWeight: 700,
          cursor: locked ? "default" : "pointer",
          opacity: locked ? 0.7 : 1,
          display: "flex",
          alignItems: "center",
          justifyContent: "center",
          gap: 8,
          touchAction: "manipulation",
        }}
      >
        {submitting ? <LoaderCircle size={18} className="mockexam-spin" /> : null}
        {submitting ? labels.submitting : labels.submit}
      </button>

      {confirming ? (
        <div
          role="presentation"
          onClick={() => setConfirming(false)}
          style={{
            position: "fixed",
            inset: 0,
            zIndex: 50,
            background: "rgba(0,0,0,0.45)",
            display: "flex",
            alignItems: "flex-end",
            justifyContent: "center",
          }}
        >
          <div
            id="submit-dialog"
            role="dialog"
            aria-modal="true"
            aria-labelledby="submit-dialog-title"
            onClick={(e) => e.stopPropagation()}
            style={{
              width: "100%",
              maxWidth: "30rem",
              background: c.section,
              color: c.text,
              borderRadius: "20px 20px 0 0",
              padding: "1.25rem 1.25rem calc(1.25rem + env(safe-area-inset-bottom))",
              boxShadow: "var(--shadow-6)",
            }}
          >
            <div
              id="submit-dialog-title"
              style={{ fontSize: "1.2rem", fontWeight: 700, marginBottom: 8 }}
            >
              {labels.confirmTitle}
            </div>
            <div id="submit-dialog-unanswered" style={{ fontSize: "0.95rem", lineHeight: 1.45 }}>
              {unanswered > 0 ? (
                <span style={{ color: c.destructive, fontWeight: 600 }}>
                  {fill(labels.confirmUnanswered, unanswered)}
                </span>
              ) : (
                labels.confirmAllAnswered
              )}
            </div>
            {flagged > 0 ? (
              <div style={{ fontSize: "0.9rem", color: c.hint, marginTop: 4 }}>
                {fill(labels.confirmFlagged, flagged)}
              </div>
            ) : null}
            <div style={{ fontSize: "0.9rem", color: c.hint, marginTop: 8 }}>
              {labels.confirmFinal}
            </div>
            <div style={{ display: "flex", gap: 10, marginTop: 18 }}>
              <button
                id="submit-cancel"
                type="button"
                onClick={() => setConfirming(false)}
                style={{
                  flex: 1,
                  height: 48,
                  borderRadius: 12,
                  border: "none",
                  background: c.secondaryBg,
                  color: c.text,
                  fontSize: "1rem",
                  fontWeight: 600,
                }}
              >
                {labels.cancel}
              </button>
              <button
                id="submit-confirm"
                type="button"
                onClick={() => submit(false)}
                style={{
                  flex: 1,
                  height: 48,
                  borderRadius: 12,
                  border: "none",
                  background: c.button,
                  color: c.buttonText,
                  fontSize: "1rem",
                  fontWeight: 700,
                }}
              >
                {labels.confirm}
              </button>
            </div>
          </div>
        </div>
      ) : null}
    </div>
  );
}
