"""Checks that turn regex candidates into hits: Luhn, IBAN mod-97, IP addresses, phone shapes."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

__all__ = [
    "IBAN_LENGTHS",
    "iban_length",
    "iban_valid",
    "ipv4_valid",
    "ipv6_valid",
    "looks_random",
    "luhn_valid",
    "payment_card_valid",
    "phone_international_valid",
    "phone_national_valid",
]

# IBAN length by country (ISO 13616 registry).
IBAN_LENGTHS: Final[dict[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

_SEPARATORS: Final = re.compile(r"[ .\-()]")
_DOUBLE_SEPARATOR: Final = re.compile(r"[ .-]{2}")
_DATE: Final = re.compile(
    r"(?:19|20)\d\d[-./ ](?:0?[1-9]|1[0-2])[-./ ]\d\d?\b|\d\d?[-./ ]\d\d?[-./ ](?:19|20)\d\d\b"
)


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check.

    Example:
        >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
        (True, False)
    """
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def payment_card_valid(text: str) -> bool:
    """A card number: 13-19 digits (spaces/dashes between), issuer digit 2-6, Luhn-valid.

    Example:
        >>> payment_card_valid("4111 1111 1111 1111"), payment_card_valid("1700000000005")
        (True, False)
    """
    digits = text.replace(" ", "").replace("-", "")
    return (
        13 <= len(digits) <= 19 and digits.isdigit() and digits[0] in "23456" and luhn_valid(digits)
    )


def iban_length(text: str) -> int | None:
    """The IBAN length of the country code that starts ``text``, or None if unknown.

    Example:
        >>> iban_length("DE89..."), iban_length("ZZ00")
        (22, None)
    """
    return IBAN_LENGTHS.get(text[:2])


def iban_valid(text: str) -> bool:
    """An IBAN (spaces allowed): known country, its length, and the ISO 7064 mod-97 check.

    Example:
        >>> iban_valid("DE89 3704 0044 0532 0130 00"), iban_valid("DE88 3704 0044 0532 0130 00")
        (True, False)
    """
    compact = text.replace(" ", "").upper()
    if iban_length(compact) != len(compact) or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def ipv4_valid(text: str) -> bool:
    """A dotted-quad IPv4 address that `ipaddress` accepts (no octet over 255, no leading 0).

    Example:
        >>> ipv4_valid("192.168.1.20"), ipv4_valid("999.1.1.1")
        (True, False)
    """
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def ipv6_valid(text: str) -> bool:
    """An IPv6 address that `ipaddress` accepts, with a decimal digit and >= 5 hex digits.

    The digit rules keep words such as ``dead::beef`` and slices such as ``1::2`` out.

    Example:
        >>> ipv6_valid("2001:db8::8a2e:370:7334"), ipv6_valid("12:30:45")
        (True, False)
    """
    hex_digits = sum(char not in ":." for char in text)
    if hex_digits < 5 or not any(char.isdigit() for char in text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _balanced_parentheses(text: str) -> bool:
    opening, closing = text.count("("), text.count(")")
    return opening == closing <= 1 and (not opening or text.index("(") < text.index(")"))


def phone_international_valid(text: str) -> bool:
    """``+`` then 8-15 digits (E.164) with single separators and at most one ``(…)`` group.

    Example:
        >>> phone_international_valid("+1 (415) 555-2671"), phone_international_valid("+1 2")
        (True, False)
    """
    digits = _SEPARATORS.sub("", text[1:])
    return (
        8 <= len(digits) <= 15
        and digits.isdigit()
        and _DOUBLE_SEPARATOR.search(text) is None
        and _balanced_parentheses(text)
    )


def phone_national_valid(text: str) -> bool:
    """A national number: 9-12 digits in separated groups, not a date or an IPv4 address.

    Example:
        >>> phone_national_valid("(415) 555-2671"), phone_national_valid("2024-01-15 12")
        (True, False)
    """
    digits = _SEPARATORS.sub("", text)
    return (
        9 <= len(digits) <= 12
        and digits.isdigit()
        and _balanced_parentheses(text)
        and _DATE.match(text) is None
        and not ipv4_valid(text)
    )


def looks_random(text: str) -> bool:
    """True when ``text`` mixes upper case, lower case and digits, as generated keys do.

    Example:
        >>> looks_random("sk-4fG7hJ2kL9"), looks_random("sk-learn-is-a-library")
        (True, False)
    """
    upper = lower = digit = False
    for char in text:
        if char.isdigit():
            digit = True
        elif char.isupper():
            upper = True
        elif char.islower():
            lower = True
    return upper and lower and digit
