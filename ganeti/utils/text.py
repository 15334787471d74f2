"""Text helpers for user-facing output: sizes, times, escaping.

Sizes are in MiB throughout Ganeti; ``FormatUnit`` renders them for humans
(``181M``, ``23.5G``, ``1.2T``) or in a fixed unit, ``ParseUnit`` reads the
forms users type (``512``, ``64M``, ``1.5g``, ``2T``).
"""

import re
import time
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from ganeti import errors

# Multipliers (to MiB) of the unit suffixes ParseUnit accepts.
_UNIT_MULTIPLIERS = {
    "m": 1, "mb": 1, "mib": 1,
    "g": 1024, "gb": 1024, "gib": 1024,
    "t": 1024 * 1024, "tb": 1024 * 1024, "tib": 1024 * 1024,
}
_UNIT_RE = re.compile(r"^([.\d]+)\s*([a-zA-Z]+)?$")

UNITS = ("h", "m", "g", "t")

_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
          (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
          (4, "IV"), (1, "I"))


def ToRoman(value: int) -> str:
    """Roman numeral of a positive integer (0 and negatives unchanged)."""
    if value <= 0 or value >= 4000:
        return str(value)
    out = []
    for amount, letters in _ROMAN:
        count, value = divmod(value, amount)
        out.append(letters * count)
    return "".join(out)


def _Rounded(value: float, decimals: int, roman: bool) -> str:
    if roman:
        return ToRoman(int(round(value)))
    return "%.*f" % (decimals, value)


def FormatUnit(value: Any, units: str, roman: bool = False) -> str:
    """Format a size in MiB.

    units: "h" picks M, G or T so the number stays small (with the suffix),
    "m", "g", "t" force that unit and print no suffix.
    """
    if units not in UNITS:
        raise errors.ProgrammerError("Invalid unit specified '%s'" % units)
    value = float(value)
    if units == "m" or (units == "h" and value < 1024):
        text = _Rounded(value, 0, roman)
        suffix = "M"
    elif units == "g" or (units == "h" and value < 1024 * 1024):
        text = _Rounded(value / 1024, 1, roman)
        suffix = "G"
    else:
        text = _Rounded(value / (1024 * 1024), 1, roman)
        suffix = "T"
    if units == "h":
        return text + suffix
    return text


def ParseUnit(value: str) -> int:
    """Parse a size with optional unit suffix into MiB (rounded up to 4).

    A bare number is in MiB.  Raises errors.UnitParseError.
    """
    match = _UNIT_RE.match(str(value).strip())
    if not match:
        raise errors.UnitParseError("Invalid format")
    number, unit = match.groups()
    try:
        size = float(number)
    except ValueError:
        raise errors.UnitParseError("Invalid format")
    if unit:
        mult = _UNIT_MULTIPLIERS.get(unit.lower())
        if mult is None:
            raise errors.UnitParseError("Unknown unit: %s" % unit)
        size *= mult
    result = int(size)
    if result < size:
        result += 1
    # Storage is allocated in 4 MiB extents: round up.
    if result % 4:
        result += 4 - result % 4
    return result


def FormatTime(value: Any, usecs: bool = False) -> str:
    """Local time "YYYY-MM-DD HH:MM:SS[.uuuuuu]" of seconds or (sec, usec).

    Anything that is not a number (e.g. None) gives "N/A".
    """
    if isinstance(value, (list, tuple)) and len(value) == 2:
        sec, usec = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        sec, usec = int(value), int(round((value - int(value)) * 1e6))
    else:
        return "N/A"
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sec))
    if usecs:
        text += ".%06d" % usec
    return text


def FormatSeconds(secs: float) -> str:
    """Duration as "[Nd ][Nh ][Nm ]Ns" (whole seconds)."""
    parts = []
    secs = int(round(secs))
    days, secs = divmod(secs, 86400)
    hours, secs = divmod(secs, 3600)
    minutes, secs = divmod(secs, 60)
    if days:
        parts.append("%dd" % days)
    if parts or hours:
        parts.append("%dh" % hours)
    if parts or minutes:
        parts.append("%dm" % minutes)
    parts.append("%ds" % secs)
    return " ".join(parts)


def MergeTime(timetuple: Sequence[int]) -> float:
    """Seconds (float) from a (seconds, microseconds) pair."""
    sec, usec = timetuple
    if usec < 0 or usec >= 1000000:
        raise errors.ProgrammerError("Microseconds out of range: %s" % usec)
    return float(sec) + usec * 0.000001


def SplitTime(value: float):
    """(seconds, microseconds) pair from seconds (float)."""
    sec = int(value)
    usec = int(round((value - sec) * 1000000))
    if usec >= 1000000:
        sec, usec = sec + 1, usec - 1000000
    return (sec, usec)


def SafeEncode(text: Any) -> str:
    """Make text safe for a terminal: escape control characters.

    Tabs, newlines and carriage returns are kept; other characters below
    0x20 and DEL become ``\\xNN``; bytes are decoded first.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    elif not isinstance(text, str):
        text = str(text)
    out = []
    for char in text:
        code = ord(char)
        if (code < 32 and char not in "\t\n\r") or code == 127:
            out.append("\\x%02x" % code)
        else:
            out.append(char)
    return "".join(out)


def NiceSortKey(value: Any) -> Tuple:
    """Sort key ordering embedded numbers numerically ("node2" < "node10");
    numbers sort before strings."""
    if not isinstance(value, str):
        if isinstance(value, (int, float)):
            return (0, value)
        return (1, str(value))
    parts = re.split(r"(\d+)", value)
    return (1, tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                     for p in parts if p != ""))


def NiceSort(names: Iterable[Any]) -> List[Any]:
    """names sorted with NiceSortKey."""
    return sorted(names, key=NiceSortKey)


def CommaJoin(names: Iterable[Any]) -> str:
    """Join the str() of names with ", "."""
    return ", ".join(str(name) for name in names)


def FormatOrdinal(value: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st..."""
    if 10 <= value % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    return "%d%s" % (value, suffix)


def Plural(count: int, singular: str, plural: Optional[str] = None) -> str:
    """singular if count is 1, else plural (default: singular + "s")."""
    if count == 1:
        return singular
    return plural if plural is not None else singular + "s"
