"""JSON Schema patterns are ECMA-262 regular expressions; Python's `re` reads the same text differently.

The differences that matter for validation, and what this module does about each:

    $        ECMA: end of input only.  Python: also just before a final "\\n" ("api\\n" matched "^[a-z]+$").
             -> \\Z
    \\d \\w \\b  ECMA: ASCII digits, ASCII word characters.  Python: any Unicode digit or letter.
             -> compiled with re.ASCII
    \\s \\S    ECMA: its WhiteSpace and LineTerminator code points (U+FEFF and U+2028 in, U+0085 and U+001C
             out).  Python: str.isspace(), or only [ \\t\\n\\r\\f\\v] under re.ASCII.  -> that exact set
    (?<name> ECMA named group.  Python spells it (?P<name>.

`.` matches every character but "\\n" in both Python and jsonschema-rs (which, unlike ECMA-262, lets "\\r",
U+2028 and U+2029 through); it is left alone so that the two validators read it alike.

Constructs this translation does not know (`\\S` inside a class, `[^]`, `\\p{...}`, `\\c`) raise ValueError
when a schema is loaded, so a new pattern can never silently fall back to Python's reading.
"""

from __future__ import annotations

import re
from functools import lru_cache

# ECMA-262 WhiteSpace (TAB, VT, FF, SP, NBSP, ZWNBSP, and the Zs category) plus LineTerminator (LF, CR, LS, PS).
ECMA_WHITESPACE = (
    "\t\n\u000b\u000c\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WHITESPACE_CLASS_BODY = "".join(f"\\u{ord(c):04x}" for c in ECMA_WHITESPACE)
_UNSUPPORTED_ESCAPES = frozenset("pPck")


def translate(pattern: str) -> str:
    """The Python regular expression (to be compiled with re.ASCII) that matches what `pattern` matches
    under ECMA-262 as jsonschema-rs implements it."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern):
                raise ValueError(f"pattern {pattern!r} ends in a lone backslash")
            out.append(_escape(pattern[i + 1], in_class, pattern))
            i += 2
            continue
        if in_class:
            in_class = char != "]"  # in ECMA an unescaped "]" always closes the class
            # "[", "&", "~" and "|" are plain characters in an ECMA class; Python may read them as set operators.
            out.append("\\" + char if char in "[&~|" else char)
        elif char == "[":
            # Python reads a "]" first in a class as a literal; ECMA reads [] as empty and [^] as anything.
            if pattern.startswith(("[]", "[^]"), i):
                raise ValueError(f"pattern {pattern!r} uses [] or [^], which this translation does not support")
            in_class = True
            out.append(char)
            if pattern.startswith("[^", i):
                out.append("^")
                i += 1
        elif char == "$":
            out.append(r"\Z")
        elif pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(char)
        i += 1
    if in_class:
        raise ValueError(f"pattern {pattern!r} has an unterminated character class")
    return "".join(out)


def _escape(escaped: str, in_class: bool, pattern: str) -> str:
    if escaped in _UNSUPPORTED_ESCAPES:
        raise ValueError(f"pattern {pattern!r} uses \\{escaped}, which this translation does not support")
    if escaped == "s":
        return _WHITESPACE_CLASS_BODY if in_class else f"[{_WHITESPACE_CLASS_BODY}]"
    if escaped == "S":
        if in_class:
            raise ValueError(f"pattern {pattern!r} uses \\S inside a class, which this translation does not support")
        return f"[^{_WHITESPACE_CLASS_BODY}]"
    return "\\" + escaped


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> re.Pattern[str]:
    """The compiled Python reading of an ECMA-262 pattern; use `.search`, as JSON Schema's pattern is unanchored."""
    return re.compile(translate(pattern), re.ASCII)


def search(pattern: str, text: str) -> bool:
    return compiled(pattern).search(text) is not None
