"""Non-strict Base64: the ways of encoding a valid payload that a conforming target must still refuse.

Why one table: the rejections scenario (``conformance/scenarios/test_rejections.py``, one case ``base64-<name>`` per
row) and the property runs' mutants (``conformance/properties/strategies.py``) probe the same rule, so they must
probe it with the same variants. The rule (``docs/decisions.md``, "Upload"): the ``file`` text is strict RFC 4648
Base64 (https://www.rfc-editor.org/rfc/rfc4648): standard alphabet, padded, one line, nothing around it; anything
else is refused as ``bad_base64``. Each row is a form real clients send, and some decoder tolerates: the reference
server's planted fault ``bad-base64-tolerated`` (``conformance/reference/media.py``) strips whitespace and a
data-URI prefix, maps the URL-safe alphabet and repairs the padding; Python's ``base64.b64decode`` without
``validate=True`` skips bytes outside the alphabet. A target that decodes like that must be caught.

Each transform takes strict Base64 text and returns text that is not strict, whatever the payload (a short one, one
without ``+`` or ``/``, one without padding): a variant that could leave its input unchanged would be a strict
upload reported as a refusal case.
"""

from __future__ import annotations

from collections.abc import Callable


def _line_breaks(text: str) -> str:
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + "\n"


def _url_safe(text: str) -> str:
    swapped = text.replace("+", "-").replace("/", "_")
    return swapped if swapped != text else "-_" + text[2:]


def _missing_padding(text: str) -> str:
    return text.rstrip("=") if text.endswith("=") else text[:-1]


BASE64_VARIANTS: dict[str, Callable[[str], str]] = {
    # MIME lines (RFC 2045): 76 characters, each ending in a newline, as `base64.encodebytes` and `base64` without
    # `-w 0` write them
    "line-breaks-76": _line_breaks,
    # spaces and a newline around the text, as a copy-paste or a file read with its trailing newline leaves them
    "surrounding-whitespace": lambda text: f"  {text}\n",
    # the URL-safe alphabet (RFC 4648 section 5: `-` and `_` for `+` and `/`), as JWT and many web libraries use
    "url-safe-alphabet": _url_safe,
    # the `=` padding dropped (or, on a payload that needs none, a character short), as unpadded base64url does
    "missing-padding": _missing_padding,
    # a data URI (RFC 2397), as a browser's `FileReader.readAsDataURL` gives it
    "data-uri-prefix": lambda text: "data:audio/wav;base64," + text,
    # a character outside the alphabet and outside ASCII, which a lenient decoder silently skips
    "non-ascii": lambda text: text[:8] + "é" + text[8:],
}
"""Variant name → transform of strict Base64 text into non-strict text of the same payload."""
