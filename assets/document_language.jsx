// The document's language, <html lang>, following the app's (see mockexam/ui/document_language.py).
//
// Renders nothing. Whenever `lang` is one of the app's codes, it becomes the lang
// attribute of <html> (screen readers pick their voice and rules from it), and with a
// `storageKey` it is kept in localStorage, where the head script of the next page load
// finds it before the first paint. An empty `lang` leaves the attribute as it is (the
// head script's guess stands until the app knows the language).
import { useEffect } from "react";

const CODES = ["uz", "ru", "en"];

export function DocumentLanguage({ lang, storageKey }) {
  useEffect(() => {
    if (!CODES.includes(lang)) return;
    document.documentElement.lang = lang;
    if (storageKey) {
      try {
        window.localStorage.setItem(storageKey, lang);
      } catch (e) {
        // Storage refused (private mode): the attribute is still right for this page.
      }
    }
  }, [lang, storageKey]);
  return null;
}
