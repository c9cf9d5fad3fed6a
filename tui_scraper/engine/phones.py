"""Phone numbers of a page: tel: links and text, as E.164 where parseable (phonenumbers)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import phonenumbers

# Cheap pre-filter for the (slow, pure Python) phone matcher: digit groups joined by the usual
# phone punctuation, at least 7 digits, so lone years, prices and postcodes never reach Python.
# Only a small window around each candidate goes to the matcher, which itself rejects dates,
# prices and the like.
# Up to 5 separators between digits: markup between groups leaves spaces ("+1</p> <p>(201)").
_PHONE_CANDIDATE_RE = re.compile(r"\d(?:[ \u00a0\-.()/\u2010-\u2015]{0,5}\d){6,}")
_PHONE_INTL_CANDIDATE_RE = re.compile(r"\+[ \u00a0(]*\d(?:[ \u00a0\-.()/\u2010-\u2015]{0,5}\d){6,}")
# Dates parse as valid numbers in permissive plans (Germany's); the matcher would reject them,
# but only after a costly parse.
_DATE_RE = re.compile(r"\d{4}([\-./])\d{1,2}\1\d{1,2}|\d{1,2}([\-./])\d{1,2}\2\d{2,4}")
_PHONE_MAX_DIGITS = 40  # longer runs are tables or IDs, not a list of a few numbers
_PHONE_GATE_MAX_DIGITS = 17  # E.164 allows 15 digits, plus a trunk prefix and some slack
_PHONE_CONTEXT = 3
_PHONE_MAX_WINDOWS = 20  # bound the work on pages that are tables of numbers
_TEL_MAX = 64
_E164 = phonenumbers.PhoneNumberFormat.E164


def phone_from_tel(value: str, region: str | None, found: set[str]) -> None:
    """Phone of a tel: URL (after the scheme): E.164 if possible, else its digits (and '+')."""
    number = unquote(value).strip()
    if not number or len(number) > _TEL_MAX:
        return
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        found.add(phonenumbers.format_number(parsed, _E164))
        return
    # Keep what the site wrote: the number part before RFC 3966 parameters such as ";ext=".
    digits = "".join(ch for ch in number.split(";", 1)[0] if ch.isdigit())
    if digits:
        found.add(("+" + digits) if number.lstrip().startswith("+") else digits)


def _worth_matching(candidate: str, digits: int, region: str | None) -> bool:
    """Cheap gate before the matcher: does the candidate as a whole parse to a valid number?

    One parse costs a fraction of the matcher, which on failure retries every sub-group of the
    candidate (years, prices, codes). Only long runs that may hold several numbers skip the gate.
    """
    if digits > _PHONE_GATE_MAX_DIGITS:
        return True
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def phones_from_text(text: str, region: str | None, found: set[str]) -> None:
    """Run the phone matcher on small windows around plausible digit runs only."""
    if region is None:
        if "+" not in text:
            return
        candidates = _PHONE_INTL_CANDIDATE_RE
    else:
        candidates = _PHONE_CANDIDATE_RE
    # The matcher wants a region; "ZZ" (unknown) makes it accept only "+" numbers.
    matcher_region = region or "ZZ"
    budget = _PHONE_MAX_WINDOWS
    for match in candidates.finditer(text):
        begin = match.start()
        if begin and text[begin - 1].isalpha():
            continue  # glued to letters ("DE123456789", a VAT id): not a phone number
        digits = sum(map(str.isdigit, match.group()))
        if digits > _PHONE_MAX_DIGITS or _DATE_RE.fullmatch(match.group()):
            continue
        budget -= 1
        if budget < 0:
            break  # a table of numbers; the first candidates are what a contact block holds
        # A few characters of context let the matcher see a "+", "(" or adjacent letters. The
        # gate gets no trailing context: parse() would read a following letter as a vanity digit.
        start = max(0, begin - _PHONE_CONTEXT)
        window = text[start : match.end() + _PHONE_CONTEXT]
        try:
            if not _worth_matching(text[start : match.end()], digits, matcher_region):
                continue
            for phone in phonenumbers.PhoneNumberMatcher(window, matcher_region):
                found.add(phonenumbers.format_number(phone.number, _E164))
        except Exception:  # the matcher is third-party heuristics; a bad window is skipped
            continue
