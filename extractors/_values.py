"""Numbers, money and dates as printed in plans, parsed to values."""

from __future__ import annotations

import re

MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6,
               "b": 1e9, "bn": 1e9, "billion": 1e9}
# A bare "$" is left as "$": it is the dollar of whichever country the text is from.
CURRENCIES = {"£": "GBP", "€": "EUR", "$": "$", "US$": "USD", "A$": "AUD", "NZ$": "NZD",
              "C$": "CAD", "pounds": "GBP", "euros": "EUR", "dollars": "$"}
WORD_NUMBERS = {w: float(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
WORD_NUMBERS.update({"thirty": 30.0, "forty": 40.0, "fifty": 50.0, "sixty": 60.0,
                     "seventy": 70.0, "eighty": 80.0, "ninety": 90.0, "hundred": 100.0,
                     "a": 1.0, "an": 1.0,
                     # "a thousand new homes", "a million trees": the word is the number
                     "thousand": 1e3, "million": 1e6, "billion": 1e9})
MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], 1)}
MONTHS.update({name[:3]: i for name, i in list(MONTHS.items())})
MONTHS["sept"] = 9

VALUE = re.compile(
    r"(?P<cur>US\$|A\$|NZ\$|C\$|[£$€])?\s*(?P<num>[-\u2212]?\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<mult>million|billion|thousand|bn|mn|m|k|b)?\b\s*(?P<pct>%|per\s*cent|percent)?",
    re.I,
)


def number(text: str) -> float | None:
    """'2,500' -> 2500.0; 'three' -> 3.0; None for anything else."""
    if text.lower() in WORD_NUMBERS:
        return WORD_NUMBERS[text.lower()]
    try:
        return float(text.replace(",", "").replace("\u2212", "-"))
    except ValueError:
        return None


def parse_value(raw: str | None) -> tuple[float | None, str | None]:
    """'64%' -> (64, '%'); '£525.80' -> (525.8, 'GBP'); '£1.2m' -> (1200000, 'GBP');
    text without a single clear figure -> (None, None)."""
    if not raw:
        return None, None
    found = [m for m in VALUE.finditer(raw) if m.group("num")]
    if len(found) != 1:
        return None, None
    m = found[0]
    value = number(m.group("num"))
    if value is None:
        return None, None
    if m.group("mult"):
        value *= MULTIPLIERS[m.group("mult").lower()]
    if m.group("pct"):
        return value, "%"
    if m.group("cur"):
        return value, CURRENCIES[m.group("cur")]
    return value, "count"


def parse_deadline(raw: str | None) -> str | None:
    """'March 2020' -> '2020-03'; '31/03/2020' -> '2020-03-31'; '2020' -> '2020';
    'Ongoing', 'Annually (September)' -> None."""
    if not raw:
        return None
    text = raw.lower()
    dmy = re.search(r"\b(\d{1,2})[/.](\d{1,2})[/.]((?:19|20)\d{2})\b", text)
    if dmy:
        day, month, year = (int(g) for g in dmy.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    month_year = re.search(r"\b([a-z]{3,9})\.?\s+((?:19|20)\d{2})\b", text)
    if month_year and month_year.group(1) in MONTHS:
        return f"{month_year.group(2)}-{MONTHS[month_year.group(1)]:02d}"
    quarter = re.search(r"\bq([1-4])\s*((?:19|20)\d{2})\b", text)
    if quarter:
        return f"{quarter.group(2)}-{int(quarter.group(1)) * 3:02d}"
    year = re.search(r"\b((?:19|20)\d{2})\b", text)
    return year.group(1) if year else None
