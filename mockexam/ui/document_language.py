"""The document's language, `<html lang>`, following the language the page is shown in.

Reflex writes one `<html lang="en">` for every page at build time. Screen readers
choose their voice and pronunciation rules from it, so an Uzbek or Russian page
marked `en` is read out with English rules. Two pieces put it right:

- `document_language_script(...)`, a head script (`rx.App(head_components=...)`),
  sets the attribute before the first paint from what the browser already knows:
  on the Mini App's pages the language this device last showed (localStorage,
  written by the component below) or else Telegram's `language_code` in the launch
  data; on the admin panel's pages its language cookie. Other pages (the public
  home page, in English) keep `en`.
- `document_language(lang)`, rendered once by each app's page frame, keeps the
  attribute equal to the app's language Var from then on: after the sign-in (the
  student's stored choice) and on every language switch, without a reload.

The app's codes are BCP 47 tags as they are: `uz` (Uzbek, whose default script is
Latin), `ru`, `en`. The React side is `assets/document_language.jsx`.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex_components_core.el.elements.scripts import Script

from mockexam.ui.i18n import LANGUAGE_CODES
from mockexam.ui.telegram import INIT_DATA_STORAGE_KEY

# Where the Mini App keeps the language it last showed on this device (localStorage).
STUDENT_LANGUAGE_KEY = "mockexam_lang"


class DocumentLanguage(rx.Component):
    """Sets `<html lang>` to `lang` (one of uz/ru/en; "" changes nothing); renders nothing.

    Props:
        lang: the page's language, or "" while it is not known yet.
        storage_key: "" or the localStorage key to keep `lang` under for the next
            page load's head script.
    """

    library = "$/public/document_language.jsx"
    tag = "DocumentLanguage"

    lang: rx.Var[str]
    storage_key: rx.Var[str]


def document_language(lang: str | rx.Var[str], storage_key: str | rx.Var[str] = "") -> rx.Component:
    """`<html lang>` follows `lang` from now on (render one per page, in its frame)."""
    return DocumentLanguage.create(lang=lang, storage_key=storage_key)


def document_language_script(
    *,
    student_root: str,
    admin_root: str,
    admin_cookie: str,
    admin_default: str,
) -> rx.Component:
    """The head script that sets `<html lang>` before the first paint (see the module doc).

    `student_root` / `admin_root`: the two apps' path prefixes (/app, /admin);
    `admin_cookie`: the admin panel's language cookie; `admin_default`: its language
    without one.
    """
    values = {
        "codes": list(LANGUAGE_CODES),
        "student": student_root.rstrip("/"),
        "admin": admin_root.rstrip("/"),
        "cookie": admin_cookie,
        "adminDefault": admin_default,
        "key": STUDENT_LANGUAGE_KEY,
        "initKey": INIT_DATA_STORAGE_KEY,
    }
    # A function of its own (no globals), with no < > & in it: the text goes through
    # React's renderer.
    return Script.create(
        f"""
(function () {{
  if (typeof document === 'undefined') return;
  try {{
    var c = {json.dumps(values)};
    var known = function (v) {{ return c.codes.indexOf(v) === -1 ? null : v; }};
    var under = function (path, root) {{
      return path === root || path.indexOf(root + '/') === 0;
    }};
    var path = window.location.pathname;
    var lang = null;
    if (under(path, c.admin)) {{
      var value = '';
      document.cookie.split('; ').forEach(function (pair) {{
        if (pair.indexOf(c.cookie + '=') === 0) value = pair.slice(c.cookie.length + 1);
      }});
      lang = known(decodeURIComponent(value).replace(/"/g, '')) || c.adminDefault;
    }} else if (under(path, c.student)) {{
      try {{ lang = known(window.localStorage.getItem(c.key)); }} catch (e) {{}}
      if (!lang) {{
        var data = new URLSearchParams(window.location.hash.slice(1)).get('tgWebAppData');
        try {{ data = data || window.sessionStorage.getItem(c.initKey); }} catch (e) {{}}
        var user = data ? JSON.parse(new URLSearchParams(data).get('user') || '{{}}') : {{}};
        lang = known(String(user.language_code || '').split('-')[0].toLowerCase()) || 'uz';
      }}
    }}
    if (lang) document.documentElement.lang = lang;
  }} catch (e) {{}}
}})();
"""
    )
