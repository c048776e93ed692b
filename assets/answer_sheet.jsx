// The exam's answer sheet (see mockexam/ui/answer_sheet.py). Nothing typed is ever lost:
// the sync with the server (localStorage first, a per-session seq, tiny acks, re-sends,
// auto-submit at zero) lives in ./sheet_sync.jsx and is shared with practice's sheet.
// Typing is sent ~600 ms after the last key, on blur, and a tap at once.
import { useEffect, useMemo, useRef, useState } from "react";
import { Flag, LoaderCircle } from "lucide-react";
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

export { SheetBanner, SheetGate, SheetNotice, SubmittedCountdown } from "./sheet_sync.jsx";

// --- the sheet -------------------------------------------------------------------------

function groupExercises(items) {
  const byNumber = new Map();
  for (const item of items || []) {
    if (!byNumber.has(item.number)) byNumber.set(item.number, []);
    byNumber.get(item.number).push(item);
  }
  return [...byNumber.entries()].map(([number, parts]) => ({
    number,
    parts,
    section: Number(parts[0].section) || 0,
  }));
}

// The exercises in blocks, one per section of the layout (`sections` prop: [{index,
// titles: {uz, ru, en}, notes: {uz, ru, en}}] in sheet order). Without sections (an older
// page, practice) one block without a heading.
function groupSections(exercises, sections) {
  if (!sections || sections.length === 0) {
    return exercises.length ? [{ index: 0, section: null, exercises }] : []; // none: no block
  }
  const blocks = sections.map((section, index) => ({ index, section, exercises: [] }));
  for (const exercise of exercises) {
    const block = blocks[exercise.section] || blocks[blocks.length - 1];
    block.exercises.push(exercise);
  }
  return blocks.filter((block) => block.exercises.length > 0);
}

function inLanguage(texts, lang) {
  if (!texts) return "";
  return texts[lang] || texts.uz || texts.en || "";
}

export function AnswerSheet({
  sessionKey = "",
  items = [],
  sections = [],
  preview = false,
  saved = {},
  disabled = false,
  labels = {},
  colors = {},
  secondsLeft = 0,
  resultsIn = 0,
  loadId = "",
  offline = false,
  saveUrl = "",
  saveToken = "",
  lang = "",
  onClosed,
  ...rest
}) {
  const exercises = useMemo(() => groupExercises(items), [items]);
  const blocks = useMemo(() => groupSections(exercises, sections), [exercises, sections]);
  const known = useMemo(() => new Set((items || []).map((item) => item.label)), [items]);
  const [focused, setFocused] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [highlight, setHighlight] = useState(null);
  const inputRefs = useRef({});
  // A preview (the admin's layout builder) answers in this component only: no storage, no
  // server, no clock.
  const [previewValues, setPreviewValues] = useState({});
  const [previewFlags, setPreviewFlags] = useState({});
  const sync = useSheetSync({
    sessionKey: preview ? "" : sessionKey,
    known,
    saved,
    disabled: disabled || preview,
    secondsLeft: preview ? 1e9 : secondsLeft,
    resultsIn,
    loadId,
    offline,
    saveUrl,
    saveToken,
    lang,
    networkError: labels.notSaved || "",
    onClosed,
  });
  const { refused, statusOf, flush } = sync;
  const submitting = preview ? false : sync.submitting;
  const values = preview ? previewValues : sync.values;
  const flags = preview ? previewFlags : sync.flags;
  const change = preview
    ? (label, patch) => {
        if ("value" in patch) setPreviewValues((old) => ({ ...old, [label]: patch.value }));
        if ("flagged" in patch) setPreviewFlags((old) => ({ ...old, [label]: patch.flagged }));
      }
    : sync.change;

  const submit = (auto) => {
    setConfirming(false);
    sync.submit(auto);
  };
  // The clock may submit while the dialog is open: close it.
  useEffect(() => {
    if (submitting) setConfirming(false);
  }, [submitting]);

  // --- changes ---------------------------------------------------------------------

  const choose = (label, option) => {
    if (disabled || submitting) return;
    const next = values[label] === option ? "" : option; // tap again to clear
    change(label, { value: next });
    haptic("selection");
    flush();
  };

  const type = (label, text) => {
    if (disabled || submitting) return;
    change(label, { value: String(text).slice(0, MAX_CHARS) }, { debounce: true });
  };

  const toggleFlag = (exercise) => {
    if (disabled || submitting) return;
    const on = !exercise.parts.some((part) => flags[part.label]);
    for (const part of exercise.parts) change(part.label, { flagged: on });
    haptic("light");
    flush();
  };

  const insert = (label, text) => {
    const { next, restore } = insertAtCursor(inputRefs.current[label], values[label] ?? "", text);
    type(label, next);
    haptic("selection");
    restore();
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

  const answeredOf = (exercise) =>
    exercise.parts.every((part) => String(values[part.label] ?? "").trim() !== "");
  const partlyOf = (exercise) =>
    !answeredOf(exercise) &&
    exercise.parts.some((part) => String(values[part.label] ?? "").trim() !== "");
  const flaggedOf = (exercise) => exercise.parts.some((part) => flags[part.label]);
  const answered = exercises.filter(answeredOf).length;
  const flagged = exercises.filter(flaggedOf).length;
  const unanswered = exercises.length - answered;
  const locked = preview ? false : disabled || submitting;

  const c = colors;
  const lastOfBlock = new Set(
    blocks.map((block) => block.exercises[block.exercises.length - 1].number),
  );
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
          flex: "1 1 0",
          minWidth: 36,
          maxWidth: 46,
          height: 46,
          padding: 0,
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
    borderBottom: lastOfBlock.has(number) ? "none" : hairline,
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
          <div
            style={{
              display: "flex",
              flexWrap: "wrap",
              gap: (item.options || []).length > 4 ? 4 : 7,
              flex: 1,
              minWidth: 0,
            }}
          >
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
    <Keypad label={label} colors={c} disabled={locked} onInsert={(text) => insert(label, text)} />
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
      data-pending={sync.pendingCount}
      style={{ display: "flex", flexDirection: "column", gap: 14, color: c.text }}
      {...rest}
    >
      <style>{`${SPIN_STYLE}#answer-sheet button:active:not(:disabled){transform:scale(0.96)}`}</style>

      <div style={card}>
        <div style={{ display: "flex", gap: 8 }}>
          {countChip("count-answered", answered, labels.answered, "var(--green-11)")}
          {countChip("count-unanswered", unanswered, labels.unanswered, c.text)}
          {countChip("count-flagged", flagged, labels.flagged, "var(--amber-11)")}
        </div>
        <div id="question-grid" style={{ marginTop: 12 }}>
          {blocks.map((block) => (
            <div key={block.index} id={`grid-section-${block.index}`} style={{ marginTop: 6 }}>
              {block.section && blocks.length > 1 ? (
                <div style={{ fontSize: "0.75rem", color: c.hint, margin: "4px 0" }}>
                  {inLanguage(block.section.titles, lang)}
                </div>
              ) : null}
              <div
                style={{
                  display: "grid",
                  gridTemplateColumns: "repeat(auto-fill, minmax(34px, 1fr))",
                  gap: 6,
                }}
              >
                {block.exercises.map(gridCell)}
              </div>
            </div>
          ))}
        </div>
      </div>

      <SaveError text={preview ? "" : sync.saveError} />

      {blocks.map((block) => (
        <div
          key={block.index}
          id={`section-${block.index}`}
          style={{ display: "flex", flexDirection: "column", gap: 6 }}
        >
          {block.section ? (
            <div style={{ padding: "0 0.3rem" }}>
              <div
                id={`section-title-${block.index}`}
                style={{ fontWeight: 700, fontSize: "1rem", color: c.text }}
              >
                {inLanguage(block.section.titles, lang)}
              </div>
              <div id={`section-note-${block.index}`} style={{ fontSize: "0.8rem", color: c.hint }}>
                {inLanguage(block.section.notes, lang)}
              </div>
            </div>
          ) : null}
          <div style={{ ...card, padding: "0.35rem 0.6rem" }}>
            {block.exercises.map((exercise) =>
              exercise.parts.length === 1 && exercise.parts[0].kind === "mcq"
                ? mcqRow(exercise)
                : freeRow(exercise),
            )}
          </div>
        </div>
      ))}

      {preview ? null : (
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
      )}

      <SubmitDialog
        open={confirming}
        colors={c}
        labels={labels}
        unanswered={unanswered}
        flagged={flagged}
        onCancel={() => setConfirming(false)}
        onConfirm={() => submit(false)}
      />
    </div>
  );
}
