"""The password rule (NIST SP 800-63B): long, not common, not built on the email; no composition."""

from __future__ import annotations

import pytest

from clinic.staff import passwords

EMAIL = "casey.morgan@clinic.test"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "at least 12 characters"),
        ("twelve chars", None),
        ("elevenchars", "at least 12 characters"),
        ("aaaaaaaaaaaa", "one character repeated"),
        ("............", "one character repeated"),
        ("password1234", "list of common passwords"),
        ("Password1234", "list of common passwords"),  # case doesn't make it uncommon
        ("qwertyuiop12", "list of common passwords"),
        (" " * 12, "only spaces"),
        ("\t \u00a0" * 4, "only spaces"),
        ("casey.morgan in the clinic", "must not contain “casey.morgan” from the email"),
        ("I am CASEY.MORGAN, really", "must not contain “casey.morgan”"),
        ("casey.morgan@clinic.test", "must not contain “casey.morgan”"),
        ("violet tractor harbour lamp", None),
        ("P4ssw0rd!wasnt#enough", None),  # no composition rules, either way
        ("correct horse battery staple", None),
    ],
)
def test_each_refusal_says_why(password, reason):
    problem = passwords.problem_with(password, EMAIL)
    if reason is None:
        assert problem is None
    else:
        assert reason in problem


def test_short_email_names_are_not_searched_for():
    """Two letters occur in ordinary words: "al" would refuse "always tea at nine"."""
    assert passwords.problem_with("always tea at nine", "al@clinic.test") is None
    assert "“ali”" in passwords.problem_with("alive and kicking", "ali@clinic.test")


def test_the_common_list_is_zxcvbns_and_built_once():
    common = passwords.common_passwords()
    assert len(common) == 30_000
    assert common is passwords.common_passwords()
    assert {"password", "123456", "qwerty"} <= common
