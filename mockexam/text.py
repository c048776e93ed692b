"""Neutralising text that a client controls before it is stored or shown.

Bidirectional control characters (the embeddings/overrides U+202A-U+202E, the
isolates U+2066-U+2069, the marks U+200E/U+200F and the Arabic letter mark U+061C)
change the order in which the characters around them are displayed: a name
`\\u202eevilname` shows reversed in the admin tables, and a free answer or a key
can look like something it is not. None of them is needed to write a name or an
answer in Uzbek, Russian or English, so they are removed where text is stored
(names at sign-in, answers at save, titles and messages an admin types) and again
where it is shown, for rows stored before this rule.
"""

from __future__ import annotations

import re

# U+202A..U+202E (LRE, RLE, PDF, LRO, RLO), U+2066..U+2069 (LRI, RLI, FSI, PDI),
# U+200E/U+200F (LRM, RLM), U+061C (ALM).
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
_BIDI_RE = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def has_bidi(value: str) -> bool:
    """True when `value` holds any bidi control character."""
    return bool(_BIDI_RE.search(value))


def strip_bidi(value: str) -> str:
    """`value` without its bidi control characters (everything else kept as is)."""
    if not isinstance(value, str):
        return value
    return _BIDI_RE.sub("", value)


def clean_name(value: object, *, max_len: int = 128) -> str:
    """A display name fit to store: a string, no bidi controls, no other control
    characters, surrounding whitespace trimmed, at most `max_len` characters.

    Telegram lets a user put almost anything in a first/last/username; the admin
    tables show it beside other students' rows, so what cannot be seen (controls)
    or spoofs the order of what can (bidi) goes.
    """
    if not isinstance(value, str):
        return ""
    text = strip_bidi(value)
    text = "".join(ch for ch in text if ch >= " " and ch != "\x7f")
    return text.strip()[:max_len]
