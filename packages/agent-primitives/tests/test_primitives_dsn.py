"""`redact_dsn`: a PostgreSQL DSN's password is masked in every form it takes in a text."""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.primitives import redact_dsn

MASK = "**********"


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("host=db user=ops password=s3cret dbname=gov", "s3cret"),
        ("host=db user=ops PASSWORD = s3cret dbname=gov", "s3cret"),
        ("host=db password='s3 cret' dbname=gov", "'s3 cret'"),
        ("host=db password='s3 cret' dbname=gov", "s3 cret"),
        (r"host=db password='it\'s' dbname=gov", "it's"),
        ("postgresql://ops:s3cret@db:5432/gov", "s3cret"),
        ("postgresql://ops:p%40ss%2Fw@db/gov", "p%40ss%2Fw"),
        ("postgresql://ops:p%40ss%2Fw@db/gov", "p@ss/w"),
        ("postgresql://db/gov?user=ops&password=s3cret&sslmode=off", "s3cret"),
        ("postgresql://db/gov?password=p%26q", "p&q"),
    ],
)
def test_every_form_of_the_password_is_masked(dsn: str, shown: str) -> None:
    text = f"connection to db failed: {shown} rejected"
    assert redact_dsn(text, dsn) == f"connection to db failed: {MASK} rejected"


def test_a_password_containing_another_is_masked_whole() -> None:
    dsn = "postgresql://ops:ab%2Bcd@db/gov"  # forms: "ab%2Bcd" and "ab+cd"
    assert redact_dsn("got ab%2Bcd and ab+cd", dsn) == f"got {MASK} and {MASK}"


def test_text_without_the_password_is_unchanged() -> None:
    text = 'relation "mxp_approvals" does not exist'
    assert redact_dsn(text, "host=db user=ops password=s3cret") == text
    assert redact_dsn(text, "host=db user=ops") == text
    assert redact_dsn(text, "") == text


def test_an_unparsable_dsn_hides_libpq_quoted_fragments() -> None:
    dsn = "host=127.0.0.1 port=5432 user=postgres hunter2"
    text = 'invalid connection string: missing "=" after "hunter2" in connection info string'
    masked = redact_dsn(text, dsn, parsable=False)
    assert "hunter2" not in masked
    assert 'missing "=" after "…"' in masked
    assert redact_dsn(text, dsn) == text  # parsable: libpq quoted nothing of the DSN
    assert redact_dsn('after "" or "a"', dsn, parsable=False) == 'after "" or "a"'


def test_a_malformed_uri_still_masks_the_keyword_form() -> None:
    dsn = "postgresql://ops:s3cret@[db/gov password=s3cret"  # urlsplit refuses the host
    assert redact_dsn("s3cret", dsn) == MASK


_PASSWORDS = st.text(
    st.characters(codec="ascii", exclude_characters="*'\\\" \t\n\r\x0b\x0c"), min_size=6
)


@given(password=_PASSWORDS)
def test_the_password_never_survives(password: str) -> None:
    dsns = [
        f"host=db user=ops password={password} dbname=gov",
        f"host=db user=ops password='{password}' dbname=gov",
        f"postgresql://ops:{quote(password, safe='')}@db/gov",
        f"postgresql://db/gov?user=ops&password={quote(password, safe='')}",
    ]
    for dsn in dsns:
        masked = redact_dsn(f"failed for {password}: {dsn}", dsn)
        assert password not in masked, dsn
