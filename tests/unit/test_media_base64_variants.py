"""The non-strict Base64 table: every row is refused by a strict decoder whatever the payload, yet still carries the
payload for a lenient one."""

from __future__ import annotations

import base64
import binascii
import re

import pytest

from conformance.media.base64_variants import BASE64_VARIANTS

# `\Z`, not `$`: `$` also matches before a trailing newline, which strict Base64 does not allow
STRICT_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
PAYLOADS = {
    "one byte (==)": b"\x00",
    "two bytes (=)": b"ab",
    "three bytes (no padding)": b"abc",
    "no + or / in the text": b"RIFF....WAVEfmt ",
    "+ and / in the text": bytes(range(256)),
    "longer than a MIME line": bytes(300),
}


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
@pytest.mark.parametrize("name", list(BASE64_VARIANTS))
def test_every_variant_is_refused_by_a_strict_decoder(name: str, payload: bytes) -> None:
    strict = base64.b64encode(payload).decode("ascii")
    text = BASE64_VARIANTS[name](strict)
    assert text != strict and not STRICT_BASE64.match(text)
    with pytest.raises((binascii.Error, ValueError)):
        base64.b64decode(text, validate=True)


def test_lenient_forms_still_carry_the_payload() -> None:
    """What makes them a trap: a lenient reading recovers the very bytes a strict target must refuse."""
    payload = bytes(range(256))
    strict = base64.b64encode(payload).decode("ascii")
    assert base64.b64decode("".join(BASE64_VARIANTS["line-breaks-76"](strict).split())) == payload
    assert base64.b64decode(BASE64_VARIANTS["surrounding-whitespace"](strict).strip()) == payload
    assert base64.urlsafe_b64decode(BASE64_VARIANTS["url-safe-alphabet"](strict)) == payload
    assert base64.b64decode(BASE64_VARIANTS["missing-padding"](strict) + "==") == payload
    assert base64.b64decode(BASE64_VARIANTS["data-uri-prefix"](strict).partition(",")[2]) == payload
    assert base64.b64decode(BASE64_VARIANTS["non-ascii"](strict).encode("utf-8")) == payload  # skips the é

