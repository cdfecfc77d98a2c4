"""Masking of personal data before anything is stored or logged."""

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# French numbers (06 12 34 56 78, +33 6 12 34 56 78, 0612345678) and other long
# international ones; dates and short numbers are left alone.
PHONE = re.compile(r"(?<!\w)(?:\+\d{1,3}[\s.-]?)?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){3,5}(?!\w)")

EMAIL_MASK = "[e-mail masqué]"
PHONE_MASK = "[téléphone masqué]"


def mask_personal_data(text: str) -> str:
    text = EMAIL.sub(EMAIL_MASK, text)
    return PHONE.sub(_mask_phone, text)


def _mask_phone(match: re.Match) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return PHONE_MASK if digits >= 9 else match.group(0)
