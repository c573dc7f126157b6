"""How a configured rate is read and said (cases/web/rate_limits.py); the counting itself is in
test_throttling.py."""

import pytest
from django.utils import translation

from cases.web.rate_limits import configured_rate, rate_sentence


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("10/minute", (10, 60)),
        ("3/min", (3, 60)),
        ("100/hour", (100, 3600)),
        ("5/s", (5, 1)),
        ("1/day", (1, 86400)),
    ],
)
def test_a_configured_rate_is_read_as_drf_reads_it(settings, rate, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"export": rate}}
    assert configured_rate("export") == expected


def test_a_scope_without_a_rate_has_no_limit(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"export": None}}
    assert configured_rate("export") is None
    assert configured_rate("no-such-scope") is None


@pytest.mark.parametrize(
    ("count", "seconds", "sentence"),
    [
        (10, 60, "At most 10 downloads a minute from one connection."),
        (1, 60, "At most 1 download a minute from one connection."),
        (100, 3600, "At most 100 downloads an hour from one connection."),
    ],
)
def test_a_limit_is_said_in_a_sentence(count, seconds, sentence):
    assert rate_sentence(count, seconds) == sentence


def test_a_limit_is_said_in_the_readers_language():
    with translation.override("ja"):
        assert "downloads" not in rate_sentence(10, 60)
