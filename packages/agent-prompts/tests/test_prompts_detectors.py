import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mxp_agents.prompts import (
    DEFAULT_DETECTORS,
    PII_KINDS,
    SECRET_KINDS,
    Guardrails,
    iban_valid,
    luhn_valid,
)

GUARD = Guardrails()

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
    "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDk3Yv1xH8uG0cNbxE3cJt3y9cHqOeWl6B3Iu5c0m0kTwAAAJg=\n"
    "-----END OPENSSH PRIVATE KEY-----"
)

POSITIVES = [
    ("email", "ada.lovelace+notes@mail.example.co.uk"),
    ("email", "x@y.io"),
    ("phone", "+1 (415) 555-2671"),
    ("phone", "+14155552671"),
    ("phone", "+44 20 7946 0958"),
    ("phone", "+49 30 901820"),
    ("phone", "(415) 555-2671"),
    ("phone", "415-555-2671"),
    ("phone", "415.555.2671"),
    ("phone", "020 7946 0958"),
    ("phone", "01 23 45 67 89"),
    ("credit_card", "4111 1111 1111 1111"),
    ("credit_card", "4111-1111-1111-1111"),
    ("credit_card", "5555555555554444"),
    ("credit_card", "378282246310005"),
    ("credit_card", "6011 0009 9013 9424"),
    ("iban", "DE89 3704 0044 0532 0130 00"),
    ("iban", "GB82WEST12345698765432"),
    ("iban", "NO9386011117947"),
    ("iban", "FR14 2004 1010 0505 0001 3M02 606"),
    ("ipv4", "192.168.1.20"),
    ("ipv4", "8.8.8.8"),
    ("ipv6", "2001:db8::8a2e:370:7334"),
    ("ipv6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    ("ipv6", "fe80::1"),
    ("ipv6", "::ffff:192.168.1.1"),
    ("openai_key", "sk-proj-aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"),
    ("openai_key", "sk-T3BlbkFJaB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3a"),
    ("anthropic_key", "sk-ant-api03-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv-_xY"),
    ("aws_access_key", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_access_key", "ASIAY34FZKBOKMUTVV7A"),
    ("github_token", "ghp_" + "aB3" * 12),
    ("github_token", "github_pat_11ABCDEFG0123456789abc_" + "aB3" * 19 + "xy"),
    ("slack_token", "xoxb-1234567890-1234567890-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("slack_token", "xoxp-1234567890-0987654321-1122334455-abcdef0123456789abcdef01"),
    ("google_api_key", "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI"),
    ("jwt", JWT),
    ("private_key", PEM),
]


@pytest.mark.parametrize(("kind", "value"), POSITIVES)
def test_each_detector_finds_its_kind_with_exact_offsets(kind, value):
    text = f"before {value} after."
    hits = GUARD.scan(text).hits
    assert [(hit.kind, hit.start, hit.end) for hit in hits] == [(kind, 7, 7 + len(value))]
    assert value not in hits[0].preview or len(value) < 5


def test_bearer_tokens_report_the_token_only():
    text = "Authorization: Bearer abcDEF123456ghiJKL789"
    (hit,) = GUARD.scan(text).hits
    assert (hit.kind, text[hit.start : hit.end]) == ("bearer_token", "abcDEF123456ghiJKL789")
    assert GUARD.redact(text).text == "Authorization: Bearer [REDACTED:bearer_token]"
    (jwt_hit,) = GUARD.scan(f"authorization: BEARER {JWT}").hits
    assert jwt_hit.kind == "jwt"  # same span: the more specific detector wins the tie


def test_an_unclosed_private_key_block_is_still_found():
    text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890abcdefghij\nthanks"
    (hit,) = GUARD.scan(text).hits
    assert hit.kind == "private_key"
    assert text[hit.end :] == "\nthanks"


NEGATIVES = [
    "user@localhost",
    "a@b",
    "@example.com",
    "write to name at example dot com",
    "timestamp 1700000000 and 1700000000123",
    "on 2024-01-15 12:30:45 and 15.01.2024",
    "version 1.2.3 and 10.0",
    "1 000 000 000 euros",
    "+1 2",
    "4111 1111 1111 1112",
    "1234 5678 9012 3456",
    "DE88 3704 0044 0532 0130 00",
    "DE89 3704 0044 0532 0130",
    "ZZ89 3704 0044 0532 0130 00",
    "999.1.1.1",
    "1.2.3.4.5",
    "01.2.3.4",
    "12:30:45",
    "dead::beef",
    "items[1::2]",
    "std::vector<int>",
    "sk-learn-is-a-python-library-2024",
    "sk-short",
    "AKIA1234",
    "XAKIAIOSFODNN7EXAMPLE",
    "ghp_short",
    "eyJhbGciOi",
    "Bearer token authentication",
    "bearer abc",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n"
    "-----END PUBLIC KEY-----",
    "",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_near_misses_are_not_hits(text):
    assert GUARD.scan(text).hits == ()


def test_a_luhn_valid_millisecond_timestamp_is_not_a_card():
    base = "170000000000"
    timestamp = next(base + digit for digit in "0123456789" if luhn_valid(base + digit))
    assert GUARD.scan(f"at {timestamp}").hits == ()


def test_kind_constants_cover_the_built_in_detectors():
    kinds = {detector.kind for detector in DEFAULT_DETECTORS}
    assert kinds == set(PII_KINDS) | set(SECRET_KINDS)
    for detector in DEFAULT_DETECTORS:
        assert detector.category == ("pii" if detector.kind in PII_KINDS else "secret")


# --- generated numbers ---------------------------------------------------------------------


def with_check_digit(body: str) -> str:
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    first = draw(st.sampled_from("23456"))
    body = first + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=length - 2, max_size=length - 2))
    )
    digits = with_check_digit(body)
    separator = draw(st.sampled_from(["", " ", "-"]))
    return separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))


@settings(max_examples=300, deadline=None)
@given(card_numbers(), st.sampled_from(["card ", "pay with ", "(", "number: "]))
def test_luhn_valid_card_numbers_are_always_found(number, prefix):
    text = f"{prefix}{number}, thanks"
    hits = GUARD.scan(text).hits
    assert [(hit.kind, hit.start, hit.end) for hit in hits] == [
        ("credit_card", len(prefix), len(prefix) + len(number))
    ]


@settings(max_examples=200, deadline=None)
@given(card_numbers())
def test_cards_with_a_wrong_check_digit_are_never_cards(number):
    last = number[-1]
    wrong = number[:-1] + str((int(last) + 1) % 10)
    assert not luhn_valid(wrong.replace(" ", "").replace("-", ""))
    assert "credit_card" not in GUARD.scan(f"card {wrong} ok").kinds


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_COUNTRIES)))
    length = IBAN_COUNTRIES[country]
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    bban = "".join(
        draw(st.lists(st.sampled_from(alphabet), min_size=length - 4, max_size=length - 4))
    )
    numeric = int("".join(str(int(char, 36)) for char in bban + country + "00"))
    compact = f"{country}{98 - numeric % 97:02d}{bban}"
    if draw(st.booleans()):
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


IBAN_COUNTRIES = {"DE": 22, "GB": 22, "FR": 27, "NL": 18, "NO": 15, "MT": 31, "LC": 32, "CH": 21}


@settings(max_examples=200, deadline=None)
@given(ibans())
def test_generated_ibans_are_found_and_a_changed_digit_is_not(iban):
    assert iban_valid(iban)
    text = f"pay to {iban} today"
    hits = GUARD.scan(text).hits
    assert [(hit.kind, hit.start, hit.end) for hit in hits] == [("iban", 7, 7 + len(iban))]
    broken = iban[:2] + ("0" if iban[2] != "0" else "1") + iban[3:]
    assert not iban_valid(broken)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_never_crashes_scan_or_redact(text):
    report = GUARD.scan(text)
    result = GUARD.redact(text)
    assert [hit.start for hit in report.hits] == sorted(hit.start for hit in report.hits)
    for hit in report.hits:
        assert 0 <= hit.start < hit.end <= len(text)
        assert hit.line >= 1
        assert hit.column >= 1
    assert result.hits == report.hits


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 .-+()@:abcdefABCDEF\nxyz", max_size=80))
def test_dense_number_like_text_never_crashes(text):
    hits = GUARD.scan(text).hits
    ends = [hit.end for hit in hits]
    starts = [hit.start for hit in hits]
    assert all(end <= start for end, start in zip(ends, starts[1:], strict=False))
