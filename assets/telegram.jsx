// The page's link to the Telegram Mini App host (see mockexam/ui/telegram.py).
//
// Telegram's telegram-web-app.js comes bundled in the npm package @twa-dev/sdk
// (nothing is fetched from telegram.org). It touches `window` as soon as it is
// evaluated, so it is imported dynamically inside an effect, never at module
// scope: pages are pre-rendered in Node at build time. Importing it parses the
// launch parameters from location.hash (keeping them in sessionStorage under
// "__telegram__initParams"), sets window.Telegram.WebApp and the --tg-theme-*,
// --tg-viewport-*, --tg-safe-area-inset-* and --tg-content-safe-area-inset-*
// CSS variables on <html>, and keeps them current.
//
// Outside Telegram (a plain browser: WebApp.initData is "") every call here is
// skipped: the bridge renders nothing and does nothing but define
// window.mockexamHaptic, which then falls back to navigator.vibrate.
import { useContext, useEffect, useRef } from "react";
import { useNavigate } from "react-router";
import { ColorModeContext } from "$/utils/context";

let sdkPromise = null;
let readySent = false;

function loadWebApp() {
  if (!sdkPromise) {
    sdkPromise = import("@twa-dev/sdk")
      .then(() => window.Telegram?.WebApp ?? null)
      .catch((e) => {
        console.warn("[mockexam] Telegram SDK failed to load", e);
        sdkPromise = null;
        return null;
      });
  }
  return sdkPromise;
}

function insideTelegram(webApp) {
  return !!(webApp && webApp.initData);
}

function atLeast(webApp, version) {
  try {
    return !!webApp.isVersionAtLeast(version);
  } catch (e) {
    return false;
  }
}

const VIBRATE_MS = {
  light: 10,
  medium: 20,
  selection: 5,
  success: [10, 40, 10],
  warning: [20, 60, 20],
  error: [30, 50, 30, 50, 30],
};

export function haptic(kind) {
  const webApp = typeof window !== "undefined" ? window.Telegram?.WebApp : null;
  try {
    if (insideTelegram(webApp) && atLeast(webApp, "6.1") && webApp.HapticFeedback) {
      const hf = webApp.HapticFeedback;
      if (kind === "selection") hf.selectionChanged();
      else if (kind === "success" || kind === "warning" || kind === "error") hf.notificationOccurred(kind);
      else hf.impactOccurred(kind === "medium" ? "medium" : "light");
      return;
    }
    if (typeof navigator !== "undefined" && typeof navigator.vibrate === "function") {
      navigator.vibrate(VIBRATE_MS[kind] ?? VIBRATE_MS.light);
    }
  } catch (e) {
    // Haptics are a nicety: never let them break a click.
  }
}

function setInsetVars(prefix, inset) {
  if (!inset) return;
  const style = document.documentElement.style;
  for (const side of ["top", "bottom", "left", "right"]) {
    const value = Number(inset[side]);
    if (Number.isFinite(value)) style.setProperty(`--tg-${prefix}-${side}`, `${value}px`);
  }
}

export function TelegramBridge({ backHref = "", confirmClose = false }) {
  const navigate = useNavigate();
  const { setColorMode } = useContext(ColorModeContext);
  const navigateRef = useRef(navigate);
  const setColorModeRef = useRef(setColorMode);
  navigateRef.current = navigate;
  setColorModeRef.current = setColorMode;

  // Once per mount: haptics, ready/expand, colour scheme, insets, wake-ups.
  useEffect(() => {
    window.mockexamHaptic = haptic;
    let cancelled = false;
    let unsubscribe = () => {};
    loadWebApp().then((webApp) => {
      if (cancelled || !insideTelegram(webApp)) return;
      if (!readySent) {
        readySent = true;
        webApp.ready();
        webApp.expand();
      }
      const followScheme = () => {
        const scheme = webApp.colorScheme === "dark" ? "dark" : "light";
        if (setColorModeRef.current) setColorModeRef.current(scheme);
      };
      const onSafeArea = () => setInsetVars("safe-area-inset", webApp.safeAreaInset);
      const onContentSafeArea = () =>
        setInsetVars("content-safe-area-inset", webApp.contentSafeAreaInset);
      const onActivated = () => window.dispatchEvent(new Event("mockexam:activated"));
      followScheme();
      onSafeArea();
      onContentSafeArea();
      webApp.onEvent("themeChanged", followScheme);
      webApp.onEvent("safeAreaChanged", onSafeArea);
      webApp.onEvent("contentSafeAreaChanged", onContentSafeArea);
      webApp.onEvent("activated", onActivated);
      unsubscribe = () => {
        webApp.offEvent("themeChanged", followScheme);
        webApp.offEvent("safeAreaChanged", onSafeArea);
        webApp.offEvent("contentSafeAreaChanged", onContentSafeArea);
        webApp.offEvent("activated", onActivated);
      };
    });
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, []);

  // Telegram's back button, shown while the page has somewhere to go back to.
  useEffect(() => {
    if (!backHref) {
      loadWebApp().then((webApp) => {
        if (insideTelegram(webApp) && atLeast(webApp, "6.1")) webApp.BackButton.hide();
      });
      return undefined;
    }
    let cancelled = false;
    let detach = () => {};
    const onBack = () => {
      // React Router numbers its history entries: idx > 0 means the previous
      // entry is a page of this app, so going back leaves nobody stranded.
      const idx = window.history.state?.idx;
      if (typeof idx === "number" && idx > 0) navigateRef.current(-1);
      else navigateRef.current(backHref, { replace: true });
    };
    loadWebApp().then((webApp) => {
      if (cancelled || !insideTelegram(webApp) || !atLeast(webApp, "6.1")) return;
      webApp.BackButton.onClick(onBack);
      webApp.BackButton.show();
      detach = () => {
        webApp.BackButton.offClick(onBack);
        webApp.BackButton.hide();
      };
    });
    return () => {
      cancelled = true;
      detach();
    };
  }, [backHref]);

  // "Close anyway?" from Telegram while an answer sheet is open.
  useEffect(() => {
    loadWebApp().then((webApp) => {
      if (!insideTelegram(webApp) || !atLeast(webApp, "6.2")) return;
      if (confirmClose) webApp.enableClosingConfirmation();
      else webApp.disableClosingConfirmation();
    });
  }, [confirmClose]);

  return null;
}
