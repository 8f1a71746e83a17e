"""Masking a PostgreSQL connection string's password in any text (error messages, reprs),
without a PostgreSQL driver: the backends that hold a DSN share this one rule."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit

__all__ = ["redact_dsn"]

_MASK: Final = "**********"

_KEYWORD_PASSWORD: Final = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URL_QUERY_PASSWORD: Final = re.compile(r"[?&]password=([^&#]*)", re.IGNORECASE)
_QUOTED: Final = re.compile(r'"[^"]*"')


def redact_dsn(text: str, dsn: str, *, parsable: bool = True) -> str:
    """``text`` with every form of ``dsn``'s password masked: ``password=...`` (bare or
    single-quoted, with or without its backslash escapes), a URI's ``user:password@`` and
    ``?password=`` (raw and URL-decoded). The longest form is masked first, so a password
    containing another is masked whole.

    ``parsable=False`` says libpq could not parse ``dsn``: its error then quotes fragments of
    the DSN (a stray token may be a password without its keyword), so every double-quoted
    fragment of more than one character becomes ``"…"`` too.

    Example:
        >>> redact_dsn("auth failed for s3cret", "postgresql://ops:s3cret@db/gov")
        'auth failed for **********'
        >>> redact_dsn('missing "=" after "s3cret"', "host=db s3cret", parsable=False)
        'missing "=" after "…"'
    """
    for secret in _passwords(dsn):
        text = text.replace(secret, _MASK)
    if not parsable:
        text = _QUOTED.sub(lambda m: m[0] if len(m[0]) <= 3 else '"…"', text)
    return text


def _passwords(dsn: str) -> list[str]:
    found: set[str] = set()
    for match in _KEYWORD_PASSWORD.finditer(dsn):
        raw = match.group(1)
        found.add(raw)
        if len(raw) >= 2 and raw[0] == raw[-1] == "'":
            found.add(re.sub(r"\\(.)", r"\1", raw[1:-1]))
    if "://" in dsn:
        try:
            password = urlsplit(dsn).password
        except ValueError:
            password = None
        encoded = [password] if password else []
        encoded += [match.group(1) for match in _URL_QUERY_PASSWORD.finditer(dsn)]
        found.update(form for value in encoded for form in (value, unquote(value)))
    return sorted((secret for secret in found if secret), key=len, reverse=True)
