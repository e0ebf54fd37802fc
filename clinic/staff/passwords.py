"""The password rule, after NIST SP 800-63B: long enough, not guessable, no composition rules.

Mixing in digits or symbols is not required (it makes people write passwords down and pick
"Password1!"); instead a password is refused when it is short, blank, one character repeated,
on a list of passwords leaked in breaches and tried first by attackers, or built on the person's
own email name. Every place that sets a password (the account page, a reset link, an admin
creating an account, the command line) asks `problem_with` through accounts.check_new_password.
"""

from __future__ import annotations

from functools import cache

MIN_LENGTH = 12
# Shorter email names ("al", "jo") occur inside ordinary words, so they would refuse good passwords.
MIN_EMAIL_NAME = 3


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 passwords zxcvbn ships, drawn from leaked password dumps; built on first use so
    processes that never set a password don't load them."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def problem_with(password: str, email: str = "") -> str | None:
    """Why this new password is refused, in words for the person choosing it; None when it's fine.

    `email` is the account's address: its name part (before the @) must not be in the password.
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"The password must be at least {MIN_LENGTH} characters long."
    if not password.strip():
        return "The password can't be only spaces. Use a few words instead."
    if len(set(password)) == 1:
        return "The password can't be one character repeated. Use a few unrelated words instead."
    email_name = (email or "").strip().lower().partition("@")[0]
    if len(email_name) >= MIN_EMAIL_NAME and email_name in password.lower():
        return f"The password must not contain “{email_name}” from the email address."
    if password.lower() in common_passwords():
        return (
            "That password is on a list of common passwords leaked in data breaches, which "
            "attackers try first. Choose another: a few unrelated words make a good password."
        )
    return None
