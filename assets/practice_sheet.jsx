// Practice's sheet (see mockexam/ui/practice_sheet.py): one question at a time, its
// text in Markdown with KaTeX math, an optional figure, options A–D as full-width
// buttons or a free answer with the math keypad. Answers sync with the server exactly
// as the exam's do (./sheet_sync.jsx): localStorage first, tiny acks, re-sends,
// auto-submit when the clock runs out. The question the student is on is kept in
// localStorage and sent to the server (onMove); a new page load opens there again.
import { useEffect, useMemo, useRef, useState } from "react";
import ReactMarkdown from "react-markdown";
import remarkMath from "remark-math";
import rehypeKatex from "rehype-katex";
import "katex/dist/katex.min.css";
import { ChevronLeft, ChevronRight, LoaderCircle } from "lucide-react";
import env from "$/env.json";
import { getBackendURL } from "$/utils/state";
import {
  Keypad,
  MAX_CHARS,
  SPIN_STYLE,
  SaveError,
  StatusMark,
  SubmitDialog,
  haptic,
  insertAtCursor,
  useSheetSync,
} from "./sheet_sync.jsx";

const LETTERS = "ABCDEF";
// The student's place per session (mockexam/ui/practice_sheet.py's PLACE_PREFIX).
const PLACE_PREFIX = "mockexam:place:";

function loadPlace(sessionKey) {
  try {
    return window.localStorage.getItem(PLACE_PREFIX + sessionKey) || "";
  } catch (e) {
    return ""; // storage unavailable: the server's place is used
  }
}

function savePlace(sessionKey, label) {
  try {
    window.localStorage.setItem(PLACE_PREFIX + sessionKey, label);
  } catch (e) {
    // private mode / full: the server still hears of the move
  }
}

// Where a page load opens: this browser's place, else the server's, else the first question.
function placeIndex(items, sessionKey, position) {
  const labels = (items || []).map((item) => item.label);
  const local = sessionKey ? loadPlace(sessionKey) : "";
  const here = labels.indexOf(local);
  if (here >= 0) return here;
  const server = labels.indexOf(String(position ?? ""));
  return server >= 0 ? server : 0;
}

const CSS = `${SPIN_STYLE}
.mockexam-math p { margin: 0 0 0.5em; }
.mockexam-math p:last-child { margin-bottom: 0; }
.mockexam-math .katex-display { margin: 0.5em 0; overflow-x: auto; overflow-y: hidden; padding: 2px 0; }
.mockexam-math .katex { font-size: 1.1em; }
.mockexam-option .mockexam-math .katex { font-size: 1.2em; }
.mockexam-option .mockexam-math p { margin: 0; }
#practice-sheet button:active:not(:disabled) { transform: scale(0.98); }
`;

// "/api/…" lives on the Reflex backend, which in dev runs on another port.
function backendUrl(url) {
  if (!url || !url.startsWith("/") || url.startsWith("//")) return url || "";
  try {
    return new URL(url, getBackendURL(env.PING).origin).toString();
  } catch (e) {
    return url;
  }
}

export function MathText({ text, ...rest }) {
  return (
    <div className="mockexam-math" {...rest}>
      <ReactMarkdown remarkPlugins={[remarkMath]} rehypePlugins={[rehypeKatex]}>
        {String(text ?? "")}
      </ReactMarkdown>
    </div>
  );
}

function Level({ level, label, colors }) {
  return (
    <span
      title={label}
      aria-label={label}
      style={{ display: "inline-flex", gap: 3, alignItems: "center" }}
    >
      {[1, 2, 3, 4, 5].map((n) => (
        <span
          key={n}
          style={{
            width: 6,
            height: 6,
            borderRadius: 6,
            background: n <= level ? colors.button : "var(--gray-a5)",
          }}
        />
      ))}
    </span>
  );
}

export function PracticeSheet({
  sessionKey = "",
  items = [],
  saved = {},
  labels = {},
  colors = {},
  secondsLeft = 0,
  loadId = "",
  offline = false,
  position = "",
  saveUrl = "",
  saveToken = "",
  lang = "",
  onMove,
  onClosed,
  onSubmitted,
  ...rest
}) {
  const known = useMemo(() => new Set((items || []).map((item) => item.label)), [items]);
  const [index, setIndex] = useState(() => placeIndex(items, sessionKey, position));
  const moveRef = useRef(onMove);
  moveRef.current = onMove;
  const [confirming, setConfirming] = useState(false);
  const [focused, setFocused] = useState(false);
  const inputRef = useRef(null);
  const sync = useSheetSync({
    sessionKey,
    known,
    saved,
    secondsLeft,
    loadId,
    offline,
    saveUrl,
    saveToken,
    lang,
    networkError: labels.notSaved || "",
    onClosed,
    onSubmitted,
  });
  const { values, refused, submitting, statusOf, change, flush, saveError } = sync;
  const c = colors;
  const count = items.length;
  const current = items[Math.min(index, Math.max(0, count - 1))];

  // Every page load (a reload, a backend restart): back to the student's place, and the
  // server told of it when it had an older one (a move it missed while it was away).
  useEffect(() => {
    if (!sessionKey || !items || items.length === 0) return;
    const at = placeIndex(items, sessionKey, position);
    setIndex(at);
    const label = items[at].label;
    if (label !== String(position ?? "") && moveRef.current) moveRef.current(label);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sessionKey, loadId]);
  useEffect(() => {
    if (index >= count && count > 0) setIndex(count - 1);
  }, [count, index]);
  useEffect(() => {
    if (submitting) setConfirming(false);
  }, [submitting]);

  const answeredOf = (label) => String(values[label] ?? "").trim() !== "";
  const answered = items.filter((item) => answeredOf(item.label)).length;
  const unanswered = count - answered;

  const go = (next) => {
    if (next < 0 || next >= count) return;
    flush();
    setIndex(next);
    if (next !== index) {
      const label = items[next].label;
      savePlace(sessionKey, label);
      if (moveRef.current) moveRef.current(label);
    }
    haptic("light");
    window.scrollTo({ top: 0, behavior: "smooth" });
  };

  const choose = (label, letter) => {
    if (submitting) return;
    const next = values[label] === letter ? "" : letter; // tap again to clear
    change(label, { value: next });
    haptic("selection");
    flush();
  };

  const type = (label, text) => {
    if (submitting) return;
    change(label, { value: String(text).slice(0, MAX_CHARS) }, { debounce: true });
  };

  const insert = (label, text) => {
    const { next, restore } = insertAtCursor(inputRef.current, values[label] ?? "", text);
    type(label, next);
    haptic("selection");
    restore();
  };

  const card = {
    background: c.section,
    borderRadius: 16,
    padding: "1rem",
    boxShadow: "var(--shadow-2)",
  };

  if (!current) return null;
  const label = current.label;
  const isLast = index === count - 1;

  const progress = (
    <div
      id="practice-progress"
      style={{ display: "grid", gridTemplateColumns: `repeat(${count}, 1fr)`, gap: 5 }}
    >
      {items.map((item, i) => {
        const done = answeredOf(item.label);
        const here = i === index;
        return (
          <button
            key={item.label}
            id={`pnav-${item.label}`}
            type="button"
            data-answered={done ? "true" : "false"}
            aria-current={here ? "step" : undefined}
            aria-label={`${labels.question} ${item.label}`}
            onClick={() => go(i)}
            style={{
              height: 30,
              borderRadius: 8,
              border: here ? `2px solid ${c.button}` : "1px solid var(--gray-a6)",
              background: done ? c.button : "transparent",
              color: done ? c.buttonText : c.text,
              fontSize: "0.8rem",
              fontWeight: 700,
              padding: 0,
              cursor: "pointer",
              touchAction: "manipulation",
              fontVariantNumeric: "tabular-nums",
            }}
          >
            {item.label}
          </button>
        );
      })}
    </div>
  );

  const option = (text, i) => {
    const letter = LETTERS[i];
    const selected = values[label] === letter;
    return (
      <button
        key={letter}
        id={`popt-${label}-${letter}`}
        type="button"
        className="mockexam-option"
        aria-pressed={selected}
        disabled={submitting}
        onClick={() => choose(label, letter)}
        style={{
          display: "flex",
          alignItems: "center",
          gap: 12,
          width: "100%",
          minHeight: 52,
          padding: "0.6rem 0.8rem",
          borderRadius: 14,
          border: selected ? `2px solid ${c.button}` : "1.5px solid var(--gray-a6)",
          background: selected ? "var(--accent-a3)" : "transparent",
          color: c.text,
          textAlign: "left",
          fontSize: "1rem",
          cursor: submitting ? "default" : "pointer",
          touchAction: "manipulation",
          transition: "background 120ms, border-color 120ms",
        }}
      >
        <span
          style={{
            width: 30,
            height: 30,
            flexShrink: 0,
            borderRadius: 999,
            display: "inline-flex",
            alignItems: "center",
            justifyContent: "center",
            fontWeight: 700,
            background: selected ? c.button : c.secondaryBg,
            color: selected ? c.buttonText : c.text,
          }}
        >
          {letter}
        </span>
        <MathText text={text} style={{ flex: 1, minWidth: 0 }} />
      </button>
    );
  };

  const freeInput = () => {
    const isRefused = !!refused[label];
    return (
      <div>
        <input
          id={`pinput-${label}`}
          ref={inputRef}
          value={values[label] ?? ""}
          maxLength={MAX_CHARS}
          disabled={submitting}
          inputMode="decimal"
          autoComplete="off"
          autoCorrect="off"
          autoCapitalize="off"
          spellCheck={false}
          enterKeyHint="done"
          placeholder={labels.placeholder}
          aria-label={labels.placeholder}
          aria-invalid={isRefused}
          onChange={(e) => type(label, e.target.value)}
          onFocus={() => setFocused(true)}
          onBlur={() => {
            setFocused(false);
            flush();
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") e.currentTarget.blur();
          }}
          style={{
            width: "100%",
            boxSizing: "border-box",
            height: 50,
            padding: "0 0.9rem",
            borderRadius: 12,
            border: isRefused
              ? `1.5px solid ${c.destructive}`
              : focused
                ? `2px solid ${c.button}`
                : "1.5px solid var(--gray-a6)",
            background: c.bg,
            color: c.text,
            fontSize: "1.1rem",
            fontFamily: "inherit",
            outline: "none",
          }}
        />
        <div style={{ fontSize: "0.78rem", color: c.hint, marginTop: 6 }}>{labels.freeHint}</div>
        {!submitting ? (
          <Keypad label={label} colors={c} disabled={submitting} onInsert={(t) => insert(label, t)} />
        ) : null}
      </div>
    );
  };

  const navButton = (id, onClick, children, primary, disabled) => (
    <button
      id={id}
      type="button"
      onClick={onClick}
      disabled={disabled}
      style={{
        flex: 1,
        height: 50,
        borderRadius: 14,
        border: "none",
        background: primary ? c.button : c.secondaryBg,
        color: primary ? c.buttonText : c.text,
        fontSize: "1rem",
        fontWeight: 700,
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        gap: 6,
        opacity: disabled ? 0.45 : 1,
        cursor: disabled ? "default" : "pointer",
        touchAction: "manipulation",
      }}
    >
      {children}
    </button>
  );

  return (
    <div
      id="practice-sheet"
      data-pending={sync.pendingCount}
      style={{ display: "flex", flexDirection: "column", gap: 14, color: c.text }}
      {...rest}
    >
      <style>{CSS}</style>
      {progress}
      <SaveError text={saveError} />

      <div id={`pq-${label}`} data-kind={current.kind} style={card}>
        <div style={{ display: "flex", alignItems: "center", gap: 8, marginBottom: 10 }}>
          <span
            id="question-position"
            style={{
              fontWeight: 700,
              fontVariantNumeric: "tabular-nums",
              color: c.hint,
              whiteSpace: "nowrap",
              flexShrink: 0,
            }}
          >
            {label} / {count}
          </span>
          <span
            style={{
              padding: "0.15rem 0.55rem",
              borderRadius: 999,
              background: "var(--accent-a3)",
              color: "var(--accent-11)",
              fontSize: "0.78rem",
              fontWeight: 600,
              whiteSpace: "nowrap",
              overflow: "hidden",
              textOverflow: "ellipsis",
              minWidth: 0,
            }}
          >
            {current.topic}
          </span>
          <span style={{ flex: 1 }} />
          <Level level={current.difficulty} label={labels.level} colors={c} />
          <StatusMark id={`status-${label}`} status={statusOf(label)} labels={labels} colors={c} />
        </div>
        <MathText text={current.text} id={`ptext-${label}`} style={{ fontSize: "1.02rem", lineHeight: 1.5 }} />
        {current.image_url ? (
          <div
            style={{
              marginTop: 12,
              padding: 10,
              borderRadius: 12,
              background: "#ffffff",
              display: "flex",
              justifyContent: "center",
            }}
          >
            <img
              id={`pimage-${label}`}
              src={backendUrl(current.image_url)}
              alt=""
              style={{ maxWidth: "100%", maxHeight: 260, height: "auto", display: "block" }}
            />
          </div>
        ) : null}
        <div style={{ marginTop: 14, display: "flex", flexDirection: "column", gap: 8 }}>
          {current.kind === "mcq" ? (current.options || []).map(option) : freeInput()}
        </div>
        {refused[label] ? (
          <div
            id={`refused-${label}`}
            style={{ fontSize: "0.8rem", color: c.destructive, marginTop: 8 }}
          >
            {refused[label]}
          </div>
        ) : null}
      </div>

      <div style={{ display: "flex", gap: 10 }}>
        {navButton(
          "practice-prev",
          () => go(index - 1),
          <>
            <ChevronLeft size={18} />
            {labels.prev}
          </>,
          false,
          index === 0,
        )}
        {isLast
          ? navButton(
              "practice-finish",
              () => setConfirming(true),
              <>
                {submitting ? <LoaderCircle size={18} className="mockexam-spin" /> : null}
                {submitting ? labels.submitting : labels.submit}
              </>,
              true,
              submitting,
            )
          : navButton(
              "practice-next",
              () => go(index + 1),
              <>
                {labels.next}
                <ChevronRight size={18} />
              </>,
              true,
              false,
            )}
      </div>
      {!isLast ? (
        <button
          id="practice-finish-early"
          type="button"
          disabled={submitting}
          onClick={() => setConfirming(true)}
          style={{
            border: "none",
            background: "transparent",
            color: c.link ?? c.button,
            fontSize: "0.95rem",
            fontWeight: 600,
            padding: "0.4rem",
            cursor: "pointer",
          }}
        >
          {submitting ? labels.submitting : labels.submit}
        </button>
      ) : null}

      <SubmitDialog
        open={confirming}
        colors={c}
        labels={labels}
        unanswered={unanswered}
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          sync.submit(false);
        }}
      />
    </div>
  );
}
