// Dates and numbers in the reader's language and time zone (see mockexam/ui/intl.py).
//
// The server sends UTC ISO timestamps; the device's own time zone is applied
// here with Intl. Nothing is formatted during the build-time pre-render (Node
// has another time zone and maybe other ICU data): the first render, on the
// server and in the browser alike, is "", and the text appears after mount, so
// hydration never mismatches.
import { useEffect, useState } from "react";

const LOCALES = { uz: "uz-Latn-UZ", ru: "ru-RU", en: "en-GB" };

const DATE_OPTIONS = {
  date: { day: "numeric", month: "short", year: "numeric" },
  datetime: {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  },
  time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  month: { month: "short", year: "numeric" },
};

// CLDR's Uzbek (Latin) short names, for a browser whose ICU lacks Uzbek.
const UZ_MONTHS = ["yan", "fev", "mar", "apr", "may", "iyn", "iyl", "avg", "sen", "okt", "noy", "dek"];
const UZ_WEEKDAYS = ["Yak", "Dush", "Sesh", "Chor", "Pay", "Jum", "Shan"];

function useMounted() {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return mounted;
}

export function localeFor(lang) {
  return LOCALES[String(lang || "").toLowerCase().slice(0, 2)] || LOCALES.en;
}

// Some browsers (Chromium among them) list Uzbek as supported yet format it
// with the root locale ("2026 M11 22", "12,345.7"): test the output itself.
const uzbekData = {};
function hasUzbek(kind) {
  if (kind in uzbekData) return uzbekData[kind];
  let ok = false;
  try {
    if (kind === "DateTimeFormat") {
      const month = new Intl.DateTimeFormat(LOCALES.uz, { month: "short", timeZone: "UTC" }).format(
        new Date(Date.UTC(2026, 10, 22, 12)),
      );
      ok = /^[A-Za-zʻ’']+\.?$/.test(month);
    } else {
      ok = new Intl.NumberFormat(LOCALES.uz, { minimumFractionDigits: 1 }).format(1.5).includes(",");
    }
  } catch (e) {
    ok = false;
  }
  uzbekData[kind] = ok;
  return ok;
}

export function parseUtc(iso) {
  if (iso === null || iso === undefined || iso === "") return null;
  let text = String(iso).trim();
  // A timestamp without an offset is UTC here (the server's convention);
  // JavaScript would otherwise read a date-time without one as local time.
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text += "Z";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function uzFallback(date, variant) {
  const pad = (n) => String(n).padStart(2, "0");
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const dayMonth = `${date.getDate()}-${UZ_MONTHS[date.getMonth()]}`;
  switch (variant) {
    case "date":
      return `${dayMonth}, ${date.getFullYear()}`;
    case "time":
      return time;
    case "month":
      return `${UZ_MONTHS[date.getMonth()]}, ${date.getFullYear()}`;
    default:
      return `${UZ_WEEKDAYS[date.getDay()]}, ${dayMonth}, ${time}`;
  }
}

export function formatDateTime(iso, lang, variant = "datetime") {
  const date = parseUtc(iso);
  if (!date) return "";
  const kind = DATE_OPTIONS[variant] ? variant : "datetime";
  const locale = localeFor(lang);
  if (locale.startsWith("uz") && !hasUzbek("DateTimeFormat")) return uzFallback(date, kind);
  try {
    return new Intl.DateTimeFormat(locale, DATE_OPTIONS[kind]).format(date);
  } catch (e) {
    return uzFallback(date, kind);
  }
}

export function formatNumber(value, lang, digits = 0) {
  const n = Number(value);
  if (value === null || value === undefined || value === "" || !Number.isFinite(n)) return "";
  const d = Math.max(0, Math.min(20, Number(digits) || 0));
  let locale = localeFor(lang);
  // Uzbek groups and separates like Russian (12 345,7).
  if (locale.startsWith("uz") && !hasUzbek("NumberFormat")) locale = LOCALES.ru;
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: d,
    maximumFractionDigits: d,
  }).format(n);
}

export function LocalDateTime({ iso, lang = "en", variant = "datetime", ...rest }) {
  const mounted = useMounted();
  const text = mounted ? formatDateTime(iso, lang, variant) : "";
  const parsed = mounted ? parseUtc(iso) : null;
  return (
    <time dateTime={parsed ? parsed.toISOString() : undefined} suppressHydrationWarning {...rest}>
      {text}
    </time>
  );
}

export function LocalNumber({ value, lang = "en", digits = 0, style, ...rest }) {
  const mounted = useMounted();
  return (
    <span style={{ fontVariantNumeric: "tabular-nums", ...(style || {}) }} {...rest}>
      {mounted ? formatNumber(value, lang, digits) : ""}
    </span>
  );
}
