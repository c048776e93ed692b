// What every answer sheet shares (the exam's, assets/answer_sheet.jsx, and practice's,
// assets/practice_sheet.jsx): the nothing-lost sync of answers with the server over
// HTTP (one transport and one protocol for both; the rules are each route's), the
// "connection lost" banner, the math keypad, the status marks and the submit sheet.
//
// The sync (useSheetSync). Nothing typed is ever lost:
// - Every change is written to localStorage first, as a "pending" entry with a
//   per-session monotonic seq (kept in localStorage too), then sent to the
//   server as a batch {seq, changes: {label: {value, flagged}}} carrying every
//   pending entry (so a later batch always holds the newest values).
// - The server answers with a tiny ack (the batch's seq, or the newer one of its
//   device that covers it, and the refused labels with their reason); a pending
//   entry is dropped only when an ack covers its seq. Nothing else comes back:
//   the sheet itself lives here. Seqs rise per device (see Transport), and the
//   server stores nothing of a batch older than one it stored from that device.
// - Unacked entries are re-sent after a few seconds, when the connection
//   comes back, and on mount / after every page load (a reload or a backend
//   restart gives a new page state: the server's saved answers are shown with
//   the pending entries merged over them). A re-send that gets no ack doubles
//   the wait before the next (4, 8, 16, 30 s): when thousands of tabs wait on
//   a slow server, re-sending every 4 s would multiply its load until no
//   ack ever came in time. An ack, or the connection coming back, starts over.
// - At zero on the sheet's clock (the server's seconds, counted here) the sheet
//   submits by itself; a submit that got no answer is sent again.
// - Transport. A batch is a plain HTTP POST to `saveUrl` (text/plain JSON, so no
//   CORS preflight in dev) carrying `saveToken`, the signed credential the page got
//   with the sheet, and the answer is the ack itself; the websocket is not
//   involved, so saves go on while it reconnects. HTTP requests may overtake each
//   other: every batch names its device (a random id kept in localStorage with the
//   seqs) and the server stores nothing of a batch a newer one of that device
//   covers. A refusal as "closed" (deadline, submit) or a credential no longer
//   good calls `onClosed` once per page load: the page reads itself again.
//   The submit goes the same way, to `saveUrl + "/submit"` (the last changes and `auto`):
//   its answer says submitted, and the sheet marks its session so (SheetGate): the page
//   shows its waiting view at once, with no Reflex event — at the end of a national exam
//   every student submits within the same minute. The page's own state catches up at
//   its next read (the results countdown, a reload) — or at once, when the page asks
//   for it with `onSubmitted` (practice shows its results right after the submit).
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { Check, CircleAlert, CloudOff, LoaderCircle } from "lucide-react";
import env from "$/env.json";
import { getBackendURL } from "$/utils/state";
import { Countdown } from "./countdown.jsx";

export const DEBOUNCE_MS = 600;
export const RESEND_MS = 4000;
const RESEND_MAX_MS = 30000;
const SUBMIT_RETRY_MS = 8000;
// At zero the sheet locks at once, and its auto-submit goes a random 0-5 s later
// (well inside the server's 30 s grace): a whole country's clocks reach zero in the
// same second, and their submits would otherwise reach the server together.
export const AUTO_SUBMIT_SPREAD_MS = 5000;
export const MAX_CHARS = 64;
const HTTP_TIMEOUT_MS = 15000;
export const STORAGE_PREFIX = "mockexam:sheet:";
// Shown → inserted at the cursor (the minus is typed as ASCII; grading unifies them).
export const KEYPAD = [
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

const DEVICE_RE = /^[A-Za-z0-9_-]{8,24}$/;

function newDevice() {
  const bytes = new Uint8Array(12);
  try {
    window.crypto.getRandomValues(bytes);
  } catch (e) {
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(bytes, (b) => "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"[b & 63]).join("");
}

// The device id lives with the seqs: a new id exactly when the seqs start over.
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
      const device = DEVICE_RE.test(parsed.device || "") ? parsed.device : newDevice();
      return { seq: parsed.seq, pending: parsed.pending, device };
    }
  } catch (e) {
    // unreadable: start empty (the server still has every acked answer)
  }
  return { seq: 0, pending: {}, device: newDevice() };
}

function backendUrl(url) {
  try {
    return new URL(url, getBackendURL(env.PING).origin).toString();
  } catch (e) {
    return url;
  }
}

function forgetStore(sessionKey) {
  try {
    window.localStorage.removeItem(storageKey(sessionKey));
  } catch (e) {
    // nothing stored
  }
}

// One batch POSTed to the sheet's URL (+ `suffix`) as text/plain JSON (no CORS preflight in
// dev) with the sheet's credential: {response, body}, both null when no answer came in time.
async function postBatch({ saveUrl, saveToken, lang }, suffix, batch) {
  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), HTTP_TIMEOUT_MS);
  let response = null;
  let body = null;
  try {
    response = await fetch(backendUrl(saveUrl + suffix), {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify({ ...batch, t: saveToken, lang }),
      credentials: "omit",
      cache: "no-store",
      signal: controller.signal,
    });
    body = await response.json().catch(() => null);
  } catch (e) {
    // no answer (network, timeout)
  } finally {
    window.clearTimeout(timer);
  }
  return { response, body };
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

// --- sessions submitted over HTTP, shared with the page's SheetGate -------------------

// sessionKey → {auto, notice, resultsAt}: what the submit's answer said, for this page only
// (a reload reads the room from the server).
const submittedSessions = new Map();
const submittedListeners = new Set();

function markSubmitted(sessionKey, facts) {
  submittedSessions.set(sessionKey, facts);
  try {
    window.Telegram?.WebApp?.disableClosingConfirmation?.(); // nothing left to lose
  } catch (e) {
    // outside Telegram
  }
  submittedListeners.forEach((listener) => listener());
}

function subscribeSubmitted(listener) {
  submittedListeners.add(listener);
  return () => submittedListeners.delete(listener);
}

function useSubmitted(sessionKey) {
  return useSyncExternalStore(
    subscribeSubmitted,
    () => (sessionKey && submittedSessions.get(sessionKey)) || null,
    () => null,
  );
}

// Its children only while the sheet of `sessionKey` is: "running" (not submitted from this
// page), "submitted", "auto" (submitted by the clock), "counting" (submitted, the results
// still to come), "due" (submitted, the window already closed).
export function SheetGate({ sessionKey = "", show = "running", children }) {
  const facts = useSubmitted(sessionKey);
  const counting = !!facts && facts.resultsAt > Date.now();
  const shown = {
    running: !facts,
    submitted: !!facts,
    auto: !!facts && facts.auto,
    counting,
    due: !!facts && !counting,
  }[show];
  return shown ? <>{children}</> : null;
}

// Why some changes sent with the submit were not stored (the time ran out, or another
// device had submitted), from the submit's answer, as a paragraph of the theme's size-2
// text; nothing at all when all were.
export function SheetNotice({ sessionKey = "", style = {}, ...rest }) {
  const facts = useSubmitted(sessionKey);
  if (!facts || !facts.notice) return null;
  const shown = { margin: 0, fontSize: "var(--font-size-2)", lineHeight: "var(--line-height-2)" };
  return (
    <p style={{ ...shown, ...style }} {...rest}>
      {facts.notice}
    </p>
  );
}

// The countdown to the results of a session submitted from this page (see Countdown).
export function SubmittedCountdown({ sessionKey = "", ...rest }) {
  const facts = useSubmitted(sessionKey);
  const [seconds] = useState(() =>
    facts ? Math.max(0, Math.ceil((facts.resultsAt - Date.now()) / 1000)) : 0,
  );
  return <Countdown seconds={seconds} {...rest} />;
}

export function useBrowserOnline() {
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

export function fill(text, n) {
  return String(text ?? "").replace("{n}", String(n));
}

export function haptic(kind) {
  try {
    if (window.mockexamHaptic) window.mockexamHaptic(kind);
  } catch (e) {
    // a nicety only
  }
}

// --- the sync --------------------------------------------------------------------------

export function useSheetSync({
  sessionKey = "",
  known,
  saved = {},
  disabled = false,
  secondsLeft = 0,
  resultsIn = 0,
  loadId = "",
  offline = false,
  saveUrl = "",
  saveToken = "",
  lang = "",
  networkError = "",
  onClosed,
  onSubmitted,
}) {
  const [values, setValues] = useState({});
  const [httpError, setHttpError] = useState("");
  const [flags, setFlags] = useState({});
  const [refused, setRefused] = useState({});
  const [, setTick] = useState(0);
  const [submitting, setSubmitting] = useState(false);

  const storeRef = useRef({ seq: 0, pending: {}, device: "" });
  const closedRef = useRef(""); // the page load in which onClosed was called
  const sentRef = useRef({}); // label → {seq, at} of the last send
  const lastSendRef = useRef(0);
  const postsRef = useRef(0); // saves over HTTP on their way (answered or timed out)
  const resendAfterRef = useRef(RESEND_MS); // the wait before the next re-send (backs off)
  const debounceRef = useRef(null);
  const submitRef = useRef(null); // {at, auto} while a submit is on its way
  const deadlineRef = useRef(Infinity); // Date.now() at which the time is up
  const autoSubmitAtRef = useRef(null); // Date.now() of the auto-submit, once time is up
  const resultsAtRef = useRef(0); // Date.now() at which the window closes (the results)
  const browserOnline = useBrowserOnline();
  const lost = offline || !browserOnline;
  // Only the browser's own network matters to a send: saves go on while the websocket
  // reconnects.
  const sendLost = !browserOnline;
  const live = useRef({});
  live.current = {
    onClosed,
    onSubmitted,
    lost,
    sendLost,
    disabled,
    sessionKey,
    known,
    loadId,
    saveUrl,
    saveToken,
    lang,
    networkError,
  };

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
    // The device's seq: the server stores nothing of a batch a newer one of it covers.
    return { seq, changes, device: storeRef.current.device };
  }, []);

  // The ack: drop what it covers; remember the refusals.
  const applyAck = useCallback((seq, refusals) => {
    const store = storeRef.current;
    const nowRefused = {};
    let dropped = false;
    for (const [label, entry] of Object.entries(store.pending)) {
      if (entry.seq <= seq) {
        delete store.pending[label];
        delete sentRef.current[label];
        dropped = true;
        if (refusals && refusals[label]) nowRefused[label] = refusals[label];
      }
    }
    if (!dropped) return;
    resendAfterRef.current = RESEND_MS; // the server answers again: back to the short wait
    saveStore(live.current.sessionKey, store);
    if (Object.keys(nowRefused).length) {
      setRefused((old) => ({ ...old, ...nowRefused }));
      haptic("error");
    }
    publishUnsent(Object.keys(store.pending).length);
    setTick((t) => t + 1);
  }, []);

  // A page reload or another sheet meanwhile makes an answer stale: it is dropped.
  const stale = (load, key) => load !== live.current.loadId || key !== live.current.sessionKey;

  // The route refused the batch as closed (deadline, submit) or its credential as no longer
  // good: the page reads itself again, once per page load.
  const closed = (load) => {
    if (closedRef.current !== load && live.current.onClosed) {
      closedRef.current = load;
      live.current.onClosed();
    }
  };

  // A save: the answer is the ack; without one the re-send timer tries again.
  const post = useCallback(
    async (batch) => {
      const { loadId: load, sessionKey: key } = live.current;
      postsRef.current += 1;
      const { response, body } = await postBatch(live.current, "", batch);
      postsRef.current -= 1;
      if (stale(load, key)) return;
      if (response && response.ok && body && Number.isFinite(body.ack)) {
        setHttpError("");
        applyAck(body.ack, body.rejected || {});
        return;
      }
      if (body && (body.closed || body.reload)) return closed(load);
      setHttpError((body && body.error) || live.current.networkError || "");
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [applyAck],
  );

  // The submit: answered "submitted", the session is marked so (the page shows its waiting
  // view); refused as closed, the page reads itself again; else it is tried again (the
  // clock's) or the button works again (a tap's).
  const postSubmit = useCallback(
    async (batch) => {
      const { loadId: load, sessionKey: key } = live.current;
      const { response, body } = await postBatch(live.current, "/submit", batch);
      if (stale(load, key)) return;
      if (response && response.ok && body && body.submitted) {
        setHttpError("");
        applyAck(Number(body.ack) || 0, body.rejected || {});
        storeRef.current.pending = {};
        forgetStore(key);
        publishUnsent(0);
        if (submitRef.current) submitRef.current.done = true; // nothing to retry
        markSubmitted(key, {
          auto: !!body.auto,
          notice: typeof body.notice === "string" ? body.notice : "",
          resultsAt: resultsAtRef.current,
        });
        if (live.current.onSubmitted) live.current.onSubmitted();
        return;
      }
      if (body && (body.closed || body.reload)) return closed(load);
      setHttpError((body && body.error) || live.current.networkError || "");
      if (submitRef.current && !submitRef.current.auto) {
        submitRef.current = null; // a tap's: the button works again at once
        setSubmitting(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [applyAck],
  );

  const flush = useCallback(() => {
    window.clearTimeout(debounceRef.current);
    const { sendLost: isLost, disabled: isDisabled, saveUrl: url } = live.current;
    if (isLost || isDisabled || submitRef.current || !url) return;
    const batch = buildBatch();
    const labelsSent = Object.keys(batch.changes);
    if (labelsSent.length === 0) return;
    const at = Date.now();
    for (const label of labelsSent) {
      sentRef.current[label] = { seq: storeRef.current.pending[label].seq, at };
    }
    lastSendRef.current = at;
    post(batch);
    bump();
  }, [buildBatch, bump, post]);

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
    setHttpError("");
    submitRef.current = null;
    autoSubmitAtRef.current = null; // a reload at zero locks and picks its moment again
    setSubmitting(false);
    publish();
    flush();
    // Only a new page load re-merges: a rehydration of the same page state
    // re-sends `saved` as it was at the load, older than what was acked since.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sessionKey, loadId]);

  // Back online: send what waited.
  useEffect(() => {
    if (!sendLost) {
      resendAfterRef.current = RESEND_MS;
      flush();
    }
  }, [sendLost, flush]);

  // The clock (the server's seconds, counted here), re-based on every new value.
  useEffect(() => {
    deadlineRef.current = Date.now() + Math.max(0, Number(secondsLeft) || 0) * 1000;
    if (autoSubmitAtRef.current !== null && Date.now() < deadlineRef.current) {
      // The server gave the time back (a resync): unlock what zero locked.
      autoSubmitAtRef.current = null;
      if (!submitRef.current) setSubmitting(false);
    }
  }, [secondsLeft, loadId]);

  useEffect(() => {
    resultsAtRef.current = Date.now() + Math.max(0, Number(resultsIn) || 0) * 1000;
  }, [resultsIn, loadId]);

  const submit = useCallback(
    (auto) => {
      const { disabled: isDisabled, saveUrl: url } = live.current;
      if (!url || isDisabled) return;
      if (submitRef.current && Date.now() - submitRef.current.at < SUBMIT_RETRY_MS) return;
      window.clearTimeout(debounceRef.current);
      submitRef.current = { at: Date.now(), auto };
      setSubmitting(true);
      haptic(auto ? "warning" : "success");
      postSubmit({ ...buildBatch(), auto: !!auto });
    },
    [buildBatch, postSubmit],
  );

  // Once a second: re-send unacked entries, time up → submit, retry a lost submit.
  useEffect(() => {
    const check = () => {
      const now = Date.now();
      const pending = storeRef.current.pending;
      if (submitRef.current) {
        if (submitRef.current.done) return;
        if (live.current.sendLost) {
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
        if (autoSubmitAtRef.current === null) {
          autoSubmitAtRef.current = now + Math.random() * AUTO_SUBMIT_SPREAD_MS;
          window.clearTimeout(debounceRef.current);
          setSubmitting(true); // locked now; what was typed goes with the submit
        }
        if (now >= autoSubmitAtRef.current) submit(true);
        return;
      }
      if (Object.keys(pending).length > 0) {
        // A re-send waits for the save on its way to be answered or to time out: sent
        // beside it, it would only add to the load of a server already slow to answer.
        const onItsWay = postsRef.current > 0;
        if (
          !live.current.sendLost &&
          !onItsWay &&
          now - lastSendRef.current >= resendAfterRef.current
        ) {
          resendAfterRef.current = Math.min(resendAfterRef.current * 2, RESEND_MAX_MS);
          flush();
        } else bump();
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

  // A change: stored in the browser first, then sent (at once, or after typing stops).
  const change = (label, patch, { debounce = false } = {}) => {
    const store = storeRef.current;
    store.seq += 1;
    store.pending[label] = { ...(store.pending[label] || {}), ...patch, seq: store.seq };
    saveStore(sessionKey, store);
    if ("value" in patch) setValues((old) => ({ ...old, [label]: patch.value }));
    if ("flagged" in patch) setFlags((old) => ({ ...old, [label]: patch.flagged }));
    setRefused((old) => {
      if (!(label in old)) return old;
      const copy = { ...old };
      delete copy[label];
      return copy;
    });
    publish();
    if (debounce) {
      window.clearTimeout(debounceRef.current);
      debounceRef.current = window.setTimeout(flush, DEBOUNCE_MS);
      bump();
    }
  };

  const now = Date.now();
  const shownError = httpError;
  const statusOf = (label) => {
    const entry = storeRef.current.pending[label];
    if (entry) {
      if (sendLost) return "queued";
      const sent = sentRef.current[label];
      if (!sent) return lastSendRef.current && now - lastSendRef.current > RESEND_MS ? "queued" : "saving";
      return now - sent.at > RESEND_MS || shownError ? "queued" : "saving";
    }
    if (refused[label]) return "refused";
    // The tick means "your answer is stored"; a flag alone shows on its own button.
    if ((values[label] ?? "") !== "") return "saved";
    return "none";
  };

  return {
    values,
    flags,
    refused,
    submitting,
    lost,
    saveError: shownError,
    pendingCount: pendingCount(),
    statusOf,
    change,
    flush,
    submit,
  };
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

// --- small shared pieces ---------------------------------------------------------------

export const SPIN_STYLE = `@keyframes mockexam-spin{to{transform:rotate(360deg)}}.mockexam-spin{animation:mockexam-spin 1s linear infinite}@media (prefers-reduced-motion: reduce){.mockexam-spin{animation:none}}`;

export function StatusMark({ status, labels, colors, id }) {
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

// The math keypad under a free-response input: each key inserts at the cursor.
export function Keypad({ label, colors, disabled, onInsert }) {
  return (
    <div
      id={`keypad-${label}`}
      style={{ display: "grid", gridTemplateColumns: "repeat(9, 1fr)", gap: 5, marginTop: 8 }}
    >
      {KEYPAD.map(([shown, inserted], index) => (
        <button
          key={shown}
          type="button"
          id={`key-${label}-${index}`}
          aria-label={shown}
          // keep the focus (and the phone's keyboard) in the input
          onPointerDown={(e) => e.preventDefault()}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => onInsert(inserted)}
          disabled={disabled}
          style={{
            height: 40,
            borderRadius: 9,
            border: "none",
            background: colors.secondaryBg,
            color: colors.text,
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
}

// Insert `text` at the cursor of `input` (or at the end), as the keypad does.
export function insertAtCursor(input, current, text) {
  const start = input?.selectionStart ?? current.length;
  const end = input?.selectionEnd ?? current.length;
  const next = (current.slice(0, start) + text + current.slice(end)).slice(0, MAX_CHARS);
  const caret = Math.min(start + text.length, next.length);
  return {
    next,
    restore: () =>
      window.requestAnimationFrame(() => {
        if (input) {
          input.focus();
          try {
            input.setSelectionRange(caret, caret);
          } catch (e) {
            // some input types refuse selection ranges
          }
        }
      }),
  };
}

export function SaveError({ text }) {
  if (!text) return null;
  return (
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
      <span>{text}</span>
    </div>
  );
}

// The bottom sheet that asks before submitting.
export function SubmitDialog({ open, colors: c, labels, unanswered, flagged = 0, onCancel, onConfirm }) {
  if (!open) return null;
  return (
    <div
      role="presentation"
      onClick={onCancel}
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
        <div id="submit-dialog-title" style={{ fontSize: "1.2rem", fontWeight: 700, marginBottom: 8 }}>
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
        <div style={{ fontSize: "0.9rem", color: c.hint, marginTop: 8 }}>{labels.confirmFinal}</div>
        <div style={{ display: "flex", gap: 10, marginTop: 18 }}>
          <button
            id="submit-cancel"
            type="button"
            onClick={onCancel}
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
            onClick={onConfirm}
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
  );
}
