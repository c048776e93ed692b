"""mockexam.text: the bidi controls the app removes, and nothing else."""

from mockexam.text import BIDI_CONTROLS, clean_name, has_bidi, strip_bidi


def test_strip_bidi_removes_every_control():
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert set(controls) == BIDI_CONTROLS
    assert strip_bidi(f"a{controls}b") == "ab"
    assert has_bidi("\u202eevil") and not has_bidi("evil")


def test_strip_bidi_keeps_ordinary_text():
    text = "Алишер O‘zbek ٣ العربية zero\u200bwidth"
    assert strip_bidi(text) == text


def test_clean_name():
    assert clean_name("  \u202eAli\x00 \n") == "Ali"
    assert clean_name(None) == ""
    assert clean_name(["x"]) == ""
    assert clean_name("x" * 500) == "x" * 128
