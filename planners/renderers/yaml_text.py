"""YAML text for every generated artifact: block style, no anchors, keys in the order the code built them.

One dumper so that every artifact quotes and wraps the same way and the bytes are stable across runs.

The artifacts are plain trees (dicts with string keys, lists, strings, numbers, booleans, None), so they
are written here directly instead of through PyYAML's representer, which builds a node per value in
Python and was most of the cost of a rule file even with libyaml's emitter behind it. The writer
produces the bytes that emitter produces (tests/test_yaml_text.py draws trees to prove it): each
string's style is decided once, by PyYAML's own rules (plain unless an indicator, a leading or
trailing space or an implicit type forbids it; then single-quoted; multi-line strings as literal
blocks), and cached. Anything it is not sure to print identically (a double-quoted string, a control or
astral character, a complex key, a scalar long enough to wrap, a type other than the plain ones) sends
the whole document to PyYAML.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

# libyaml's emitter when PyYAML was built with it: the fallback's bytes, and the ones the writer matches.
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _ArtifactDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    def ignore_aliases(self, data: Any) -> bool:  # repeated dicts must print in full, not as *anchors
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line strings (PromQL expressions, descriptions) read best as literal blocks.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ArtifactDumper.add_representer(str, _str_representer)

_OPTIONS = dict(sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)


def to_yaml(data: Any) -> str:
    try:
        return "".join(_document(data))
    except _Unsupported:
        return yaml.dump(data, Dumper=_ArtifactDumper, **_OPTIONS)


def to_yaml_documents(documents: list[Any]) -> str:
    """Several YAML documents in one file (Kubernetes manifests), separated by '---'."""
    try:
        return "".join("---\n" + "".join(_document(document)) for document in documents)
    except _Unsupported:
        return yaml.dump_all(documents, Dumper=_ArtifactDumper, explicit_start=True, **_OPTIONS)


# ------------------------------------------------------------------------------------------ writer

class _Unsupported(Exception):
    """Something the direct writer does not print the way the emitter would: let PyYAML do the document."""


# A scalar this long could reach the 4096-column width, where the emitter starts folding plain and quoted text.
_LONGEST_INLINE = 3000
# Characters both emitters print as themselves (allow_unicode): printable ASCII and the BMP outside the
# surrogates and U+FEFF. Tabs, control characters, U+0085 and astral characters differ between the
# two emitters or need double quotes.
_PRINTABLE = "\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd"
_INLINE_CHARS = re.compile(f"[{_PRINTABLE}]*")
_BLOCK_CHARS = re.compile(f"[\n{_PRINTABLE}]*")
_LINE_BREAKS = re.compile("[\u2028\u2029]")
_LEADING_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers  # first character -> [(tag, regexp)] of non-strings


def _document(data: Any) -> list[str]:
    out: list[str] = []
    if isinstance(data, dict) and data:
        _mapping(data, 0, "", out)
    elif isinstance(data, list) and data:
        _sequence(data, 0, "", out)
    else:
        raise _Unsupported  # a scalar or empty root ends with '...' or a flow marker; rare, leave it to PyYAML
    return out


def _mapping(mapping: dict, indent: int, first: str, out: list[str]) -> None:
    pad = " " * indent
    prefix = first
    for key, value in mapping.items():
        head = prefix + (_KEYS.get(key) or _key(key))
        prefix = pad
        kind = type(value)
        if kind is str and "\n" not in value:  # most values: a one-line string
            out.append(f"{head}: {_INLINE.get(value) or _inline(value)}\n")
        elif kind is dict and value:
            out.append(head + ":\n")
            _mapping(value, indent + 2, pad + "  ", out)
        elif kind is list and value:
            out.append(head + ":\n")
            _sequence(value, indent, pad, out)  # a sequence in a mapping is not indented
        else:
            out.append(head + ": " + _scalar(value, indent + 2))


def _sequence(items: list, indent: int, first: str, out: list[str]) -> None:
    pad = " " * indent
    prefix = first
    for item in items:
        head = prefix + "- "
        prefix = pad
        kind = type(item)
        if kind is dict and item:
            _mapping(item, indent + 2, head, out)
        elif kind is list and item:
            _sequence(item, indent + 2, head, out)
        else:
            out.append(head + _scalar(item, indent + 2))


def _scalar(value: Any, indent: int) -> str:
    """A value's text after 'key: ' or '- ', through its final line break."""
    kind = type(value)
    if kind is str:
        if "\n" in value:
            return _literal(value, indent)
        return (_INLINE.get(value) or _inline(value)) + "\n"
    if kind is bool:
        return "true\n" if value else "false\n"
    if kind is int:
        return f"{value}\n"
    if kind is float:
        return _float(value) + "\n"
    if value is None:
        return "null\n"
    if kind is dict:
        return "{}\n"
    if kind is list:
        return "[]\n"
    raise _Unsupported


def _float(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


# Decided once per distinct string (label names, severities, selectors recur in every rule); emptied when
# full, so a server answering many distinct names keeps a bounded cache.
_CACHE_LIMIT = 20000
_KEYS: dict[str, str] = {}
_INLINE: dict[str, str] = {}


def _remember(cache: dict[str, str], text: str, printed: str) -> str:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[text] = printed
    return printed


def _key(key: Any) -> str:
    if type(key) is not str or not key or len(key) >= 128 or "\n" in key:
        raise _Unsupported  # a non-string, empty, long or multi-line key is not a simple key
    return _remember(_KEYS, key, _inline(key))


def _inline(text: str) -> str:
    """A one-line string as the emitter prints it: plain when allowed, else single-quoted."""
    if not text:
        return "''"  # plain '' would read back as null
    if len(text) > _LONGEST_INLINE or not _INLINE_CHARS.fullmatch(text) or _LINE_BREAKS.search(text):
        raise _Unsupported
    if _plain_allowed(text) and not _implicitly_typed(text):
        return _remember(_INLINE, text, text)
    return _remember(_INLINE, text, "'" + text.replace("'", "''") + "'")


def _plain_allowed(text: str) -> bool:
    """PyYAML's analyze_scalar for one line of printable characters in block context."""
    first = text[0]
    if first == " " or text[-1] == " " or text.startswith(("---", "...")):
        return False
    if first in _LEADING_INDICATORS:
        return False
    if first in "?:-" and (len(text) == 1 or text[1] == " "):
        return False
    return not (": " in text or text.endswith(":") or " #" in text)


def _implicitly_typed(text: str) -> bool:
    """Would the plain text read back as something other than a string (true, 1.5, null, 2024-01-01)?"""
    resolvers = _IMPLICIT.get(text[0], []) + _IMPLICIT.get(None, [])
    return any(regexp.match(text) for _, regexp in resolvers)


@lru_cache(maxsize=4096)
def _literal(text: str, indent: int) -> str:
    """A multi-line string as a literal block, '|' keeping its final line break or '|-' without one."""
    if not _BLOCK_CHARS.fullmatch(text) or _LINE_BREAKS.search(text):
        raise _Unsupported
    if text[0] in " \n" or text[-1] == " " or " \n" in text or text.endswith("\n\n"):
        raise _Unsupported  # indentation hints, '+' chomping or double quotes: the emitter's own business
    pad = " " * indent
    if text.endswith("\n"):
        header, body = "|\n", text[:-1]
    else:
        header, body = "|-\n", text
    return header + "".join(pad + line + "\n" if line else "\n" for line in body.split("\n"))


# Reading back what the planners wrote (EXPORT_SYSTEM joins every stored answer's files): libyaml's loader where
# PyYAML has it, ten times the pure-Python one, which was 93 % of an export of 38 answers.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def from_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def from_yaml_documents(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_Loader))  # noqa: S506 - a safe loader
