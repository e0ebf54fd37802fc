"""Outcome claims regulators act on, found in the clinic's words before patients read them.

The FTC and FDA have acted against stem-cell clinics for saying a treatment cures, heals,
reverses or is guaranteed or proven to help, for quoting success rates and testimonials, and
for calling unapproved uses "FDA-approved". A checker can't tell a claim from its denial ("there
is no cure") or an approved product from an unapproved use, so it flags the sentence and a
person decides: reply templates show a reminder, and a page can't be published with a flagged
sentence until a clinical reviewer rewords it or records why it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Whole words and phrases, matched case-insensitively.
CLAIM_WORDS = (
    "cure",
    "cures",
    "cured",
    "curing",
    "guarantee",
    "guarantees",
    "guaranteed",
    "miracle",
    "miraculous",
    "proven",
    "reverse",
    "reverses",
    "reversed",
    "heal",
    "heals",
    "healed",
    "healing",
    "testimonial",
    "testimonials",
)
CLAIM_PHRASES = (
    r"success rates?",
    r"\d+(?:\.\d+)?\s?%\s+success",
    r"patients say",
    r"FDA[\s-]+approved",
    r"FDA[\s-]+cleared",
    r"approved by (?:the )?(?:US |U\.S\. )?(?:FDA|Food and Drug Administration)",
)
_CLAIM = re.compile(r"\b(" + "|".join([*CLAIM_WORDS, *CLAIM_PHRASES]) + r")\b", re.IGNORECASE)
# A sentence ends at . ! or ? (and any closing quote or bracket) followed by white space.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’')\]*_]*\s+")
_MARKDOWN_LINE_START = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*|\|)")


@dataclass(frozen=True)
class FlaggedSentence:
    sentence: str
    phrases: tuple[str, ...]  # as written, in order, without repeats


def claim_phrases(*texts: str) -> list[str]:
    """The claim words and phrases used, lower-cased, in order of first use, without repeats."""
    found: list[str] = []
    for text in texts:
        for match in _CLAIM.finditer(text or ""):
            phrase = " ".join(match.group(1).lower().split())
            if phrase not in found:
                found.append(phrase)
    return found


def sentences(text: str) -> list[str]:
    """Plain-text sentences of a Markdown text: each line (a list item, a heading, a table row)
    is split at sentence ends, with its Markdown markers left off."""
    found = []
    for line in (text or "").splitlines():
        line = _MARKDOWN_LINE_START.sub("", line).strip()
        if line:
            parts = (part.strip().strip("*_").strip() for part in _SENTENCE_END.split(line))
            found += [part for part in parts if part]
    return found


def flagged_sentences(*texts: str) -> list[FlaggedSentence]:
    """Each sentence that makes a claim, with the phrases that made it one, without repeats."""
    flagged: list[FlaggedSentence] = []
    seen: set[str] = set()
    for text in texts:
        for sentence in sentences(text):
            phrases = tuple(dict.fromkeys(m.group(1) for m in _CLAIM.finditer(sentence)))
            if phrases and sentence not in seen:
                seen.add(sentence)
                flagged.append(FlaggedSentence(sentence, phrases))
    return flagged


def mark_sentences(text: str) -> str:
    """Escaped HTML text (no tags) with each claiming sentence wrapped in <mark>."""
    parts = re.split(r"((?<=[.!?])[\"”’')\]]*\s+)", text)
    return "".join(
        f'<mark class="claim">{part}</mark>' if _CLAIM.search(part) else part for part in parts
    )
