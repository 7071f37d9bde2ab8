import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.logs import MASK, Redactor, default_redactor, is_sensitive_key
from quantbot.logs.redaction import MIN_SECRET_LENGTH

SECRET = "k3y+/=Ab\"c'd\\é"


@pytest.mark.parametrize(
    "spelling",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        json.dumps(SECRET)[1:-1],
        json.dumps(SECRET)[1:-1].replace("/", "\\/"),
        json.dumps(SECRET, ensure_ascii=False)[1:-1],
        repr(SECRET)[1:-1],
    ],
    ids=["raw", "url", "url-plus", "json", "json-escaped-slash", "json-unicode", "repr"],
)
def test_registered_secret_is_masked_in_every_spelling(spelling: str) -> None:
    assert Redactor([SECRET]).redact(f"before {spelling} after") == f"before {MASK} after"


def test_values_shorter_than_the_minimum_are_not_registered() -> None:
    short = "x" * (MIN_SECRET_LENGTH - 1)
    redactor = Redactor([short, None])  # type: ignore[list-item]
    assert redactor.secret_count == 0
    assert redactor.redact(f"id {short}") == f"id {short}"


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        (
            "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
            "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        ),
        ("connecting to postgresql://bot:hunter2pw@db:5432/quantbot", "hunter2pw"),
        ("GET /api/v3/account?apiKey=abcdef123&timestamp=1", "abcdef123"),
        ('{"secret": "s3cr3tvalue", "pair": "BTC/USDT"}', "s3cr3tvalue"),
        ("{'X-MBX-APIKEY': 'hdr-key-value'}", "hdr-key-value"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
        ("signature=0a1b2c3d4e5f", "0a1b2c3d4e5f"),
    ],
)
def test_secret_shapes_are_masked_without_registration(text: str, leak: str) -> None:
    redacted = Redactor().redact(text)
    assert leak not in redacted
    assert MASK in redacted


@pytest.mark.parametrize(
    "key", ["apiKey", "api_key", "API-SECRET", "secret", "bot_token", "password", "X-MBX-APIKEY"]
)
def test_keys_naming_a_secret_are_sensitive(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["api_key_env", "bot_token_env", "token_id", "pair", "strategy"])
def test_keys_naming_where_a_secret_lives_or_other_things_are_not(key: str) -> None:
    assert not is_sensitive_key(key)


def test_redact_obj_masks_secret_keys_redacts_strings_and_keys_and_copies() -> None:
    original = {
        "exchange": {"apiKey": "plain-value-1", "pairs": ["BTC/USDT", f"x{SECRET}"]},
        SECRET: "keyed",
        "password": None,
        "token": "",
    }
    snapshot = json.dumps(original, sort_keys=True)
    redacted = Redactor([SECRET]).redact_obj(original)
    assert redacted == {
        "exchange": {"apiKey": MASK, "pairs": ["BTC/USDT", f"x{MASK}"]},
        MASK: "keyed",
        # Nothing to hide: an absent secret stays visibly absent.
        "password": None,
        "token": "",
    }
    assert json.dumps(original, sort_keys=True) == snapshot


def test_clear_forgets_registered_secrets() -> None:
    redactor = Redactor([SECRET])
    assert redactor.secret_count > 0
    redactor.clear()
    assert redactor.secret_count == 0
    assert redactor.redact(SECRET) == SECRET


def test_default_redactor_is_one_shared_instance() -> None:
    assert default_redactor() is default_redactor()


@given(before=st.text(), after=st.text())
def test_registered_secret_never_survives_whatever_surrounds_it(before: str, after: str) -> None:
    assert SECRET not in Redactor([SECRET]).redact(before + SECRET + after)


@given(text=st.text(alphabet=st.sampled_from(list("abkey_tokn:=\"' \\/*@&pwd.AZ09"))) | st.text())
def test_redact_is_idempotent(text: str) -> None:
    redactor = Redactor([SECRET])
    once = redactor.redact(text)
    assert redactor.redact(once) == once
