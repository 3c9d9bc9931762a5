"""RustTranslator: papermill parameters as Rust `let` statements.

papermill writes the parameters of a run into a new cell after the one tagged `parameters`;
for a Rust notebook that cell is

    // Parameters
    let backend = "cassandra";
    let rows = 5000;

and each `let` shadows the default of the same name. Values map to the literal a Rust
programmer would write, so the injected variable has the type of the default when the
parameters cell uses plain literals too (`let rows = 1000;`, not `let rows: usize = 1000;`):

| Python (YAML / `-p`)        | Rust                                         | type                 |
|-----------------------------|----------------------------------------------|----------------------|
| `"text"`                    | `"text"` (escaped: `\\\\ \\" \\n \\r \\t \\0 \\u{..}`) | `&'static str`       |
| `True` / `False`            | `true` / `false`                             | `bool`               |
| `5`                         | `5` (`5_i64` / `5_u64` beyond `i32`)         | `i32` (Rust's default) |
| `0.5`, `nan`, `inf`         | `0.5`, `f64::NAN`, `f64::INFINITY`           | `f64`                |
| `None`                      | `()`                                         | `()` (Rust has no untyped null) |
| `[1, 2.5]`, `["a", "b"]`    | `vec![1.0, 2.5]`, `vec!["a", "b"]`           | `Vec<T>`, one element type (ints widen to `f64` next to floats) |
| `{"a": 1}`                  | `std::collections::BTreeMap::from([("a", 1)])` | `BTreeMap<&str, T>`: string keys, one value type |

Anything else (dates from YAML, tuples, sets, bytes, lists mixing types, integers beyond
`u64`) is refused with a `TypeError`/`ValueError` naming the parameter, before the kernel
starts, rather than turned into a string the notebook did not expect. Parameter names must
be Rust identifiers and not keywords.

The class has the interface papermill calls on a translator (`codify`, `inspect`, and the
`translate_*` / `comment` / `assign` class methods of `papermill.translators.Translator`)
without subclassing it: this module must import without papermill, because papermill
imports it while it is itself being imported (see `eddy_papermill.engine`).
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["RustTranslator", "RUST_KEYWORDS"]

# Strict and reserved keywords of Rust 2024 (the reference's "Keywords" chapter); `_` alone is
# not a variable either. Raw identifiers (r#type) would work but read badly in a notebook.
RUST_KEYWORDS = frozenset(
    """as async await break const continue crate dyn else enum extern false fn for gen if impl
    in let loop match mod move mut pub ref return self Self static struct super trait true type
    unsafe use where while abstract become box do final macro override priv try typeof unsized
    virtual yield _""".split()
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
I32 = (-(2**31), 2**31 - 1)
I64 = (-(2**63), 2**63 - 1)
U64_MAX = 2**64 - 1

# Type descriptors used while translating containers: ("str",), ("bool",), ("int",),
# ("float",), ("unit",), ("vec", elem or None), ("map", value or None).
_Type = tuple


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if ch == "\\":
        return "\\\\"
    if ch == '"':
        return '\\"'
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    if ch == "\0":
        return "\\0"
    if 0xD800 <= code <= 0xDFFF:
        raise ValueError(
            f"a string with the lone surrogate U+{code:04X} has no Rust (UTF-8) equivalent"
        )
    if code < 0x20 or 0x7F <= code <= 0x9F:  # other control characters: visible escapes
        return f"\\u{{{code:x}}}"
    return ch


class RustTranslator:
    """Translates papermill parameters into `let name = value;` lines of Rust."""

    # ------------------------------------------------------------------ scalars

    @classmethod
    def translate_str(cls, val: str) -> str:
        """A Rust string literal: `"..."` with `\\`, `"` and control characters escaped."""
        return '"' + "".join(_escape_char(ch) for ch in val) + '"'

    @classmethod
    def translate_bool(cls, val: bool) -> str:
        return "true" if val else "false"

    @classmethod
    def translate_int(cls, val: int) -> str:
        """Plain within i32 (Rust's default integer), else suffixed `_i64` / `_u64`."""
        if I32[0] <= val <= I32[1]:
            return str(val)
        if I64[0] <= val <= I64[1]:
            return f"{val}_i64"
        if 0 <= val <= U64_MAX:
            return f"{val}_u64"
        raise ValueError(f"the integer {val} does not fit in Rust's i64 or u64")

    @classmethod
    def translate_float(cls, val: float) -> str:
        """`repr` (the shortest exact decimal, always with `.` or an exponent), or the f64 constants."""
        if math.isnan(val):
            return "f64::NAN"
        if math.isinf(val):
            return "f64::INFINITY" if val > 0 else "f64::NEG_INFINITY"
        text = repr(float(val))
        if not any(c in text for c in ".eE"):  # repr always has one, but keep it a float literal
            text += ".0"
        return text

    @classmethod
    def translate_none(cls, val: None) -> str:
        """`()`: Rust has no untyped null; use a sentinel (`""`, `0`) for an optional value."""
        return "()"

    # ------------------------------------------------------------------ containers

    @classmethod
    def translate_list(cls, val: list) -> str:
        return cls._render(val, cls._type_of(val))

    @classmethod
    def translate_dict(cls, val: dict) -> str:
        return cls._render(val, cls._type_of(val))

    @classmethod
    def _type_of(cls, val: Any) -> _Type:
        if val is None:
            return ("unit",)
        if isinstance(val, str):
            return ("str",)
        if isinstance(val, bool):  # before int: bool is an int in Python
            return ("bool",)
        if isinstance(val, int):
            return ("int",)
        if isinstance(val, float):
            return ("float",)
        if isinstance(val, list):
            return ("vec", cls._unify([cls._type_of(v) for v in val], "list"))
        if isinstance(val, dict):
            bad = [k for k in val if not isinstance(k, str)]
            if bad:
                raise TypeError(
                    f"a dict parameter needs string keys (a Rust BTreeMap<&str, _>), not {bad[0]!r}"
                )
            return ("map", cls._unify([cls._type_of(v) for v in val.values()], "dict"))
        raise TypeError(
            f"{type(val).__name__} value {val!r} has no Rust translation: pass a string, "
            "number, bool, list or dict (quote dates in YAML)"
        )

    @classmethod
    def _unify(cls, types: list[_Type], what: str) -> _Type | None:
        """The one element type of a list (or a dict's values); ints widen to floats."""
        if not types:
            return None
        unified = types[0]
        for t in types[1:]:
            merged = cls._merge(unified, t)
            if merged is None:
                raise TypeError(
                    f"a {what} parameter must hold one type for Rust, but it mixes "
                    f"{cls._rust_name(unified)} and {cls._rust_name(t)}"
                )
            unified = merged
        return unified

    @classmethod
    def _merge(cls, a: _Type | None, b: _Type | None) -> _Type | None:
        if a is None:
            return b
        if b is None:
            return a
        if a == b:
            return a
        if {a[0], b[0]} == {"int", "float"}:
            return ("float",)
        if a[0] == b[0] and a[0] in ("vec", "map"):
            if a[1] is None or b[1] is None:
                return (a[0], a[1] or b[1])
            inner = cls._merge(a[1], b[1])
            return None if inner is None else (a[0], inner)
        return None

    @classmethod
    def _rust_name(cls, t: _Type | None) -> str:
        if t is None:
            return "&str"  # the element type of an empty list or dict
        names = {"str": "&str", "bool": "bool", "int": "i32", "float": "f64", "unit": "()"}
        if t[0] in names:
            return names[t[0]]
        if t[0] == "vec":
            return f"Vec<{cls._rust_name(t[1])}>"
        return f"std::collections::BTreeMap<&str, {cls._rust_name(t[1])}>"

    @classmethod
    def _render(cls, val: Any, t: _Type | None) -> str:
        if t is None:  # only reached for elements of an empty container: never rendered
            raise AssertionError("no type for a value")
        kind = t[0]
        if kind == "float" and isinstance(val, int) and not isinstance(val, bool):
            return cls.translate_float(float(val))
        if kind == "vec":
            if not val:
                return f"Vec::<{cls._rust_name(t[1])}>::new()"
            return "vec![" + ", ".join(cls._render(v, t[1]) for v in val) + "]"
        if kind == "map":
            if not val:
                return f"std::collections::BTreeMap::<&str, {cls._rust_name(t[1])}>::new()"
            pairs = ", ".join(
                f"({cls.translate_str(k)}, {cls._render(v, t[1])})" for k, v in val.items()
            )
            return f"std::collections::BTreeMap::from([{pairs}])"
        return cls.translate(val)

    # ------------------------------------------------------------------ papermill's interface

    @classmethod
    def translate(cls, val: Any) -> str:
        """The Rust expression for one parameter value (TypeError/ValueError if there is none)."""
        t = cls._type_of(val)  # refuses unsupported types, nested ones included
        kind = t[0]
        if kind == "unit":
            return cls.translate_none(val)
        if kind == "str":
            return cls.translate_str(val)
        if kind == "bool":
            return cls.translate_bool(val)
        if kind == "int":
            return cls.translate_int(val)
        if kind == "float":
            return cls.translate_float(val)
        return cls._render(val, t)

    @classmethod
    def comment(cls, cmt_str: str) -> str:
        lines = str(cmt_str).splitlines() or [""]
        return "\n".join(f"// {line}".rstrip() for line in lines)

    @classmethod
    def assign(cls, name: str, str_val: str) -> str:
        cls.check_name(name)
        return f"let {name} = {str_val};"

    @classmethod
    def check_name(cls, name: str) -> None:
        if not isinstance(name, str) or not _IDENT.match(name):
            raise ValueError(
                f"parameter name {name!r} is not a Rust identifier (letters, digits and _, "
                "not starting with a digit)"
            )
        if name in RUST_KEYWORDS:
            raise ValueError(f"parameter name {name!r} is a Rust keyword: pick another name")

    @classmethod
    def codify(cls, parameters: dict, comment: str = "Parameters") -> str:
        """The injected cell: the comment, then one `let` per parameter, in order."""
        lines = [cls.comment(comment)]
        for name, val in parameters.items():
            cls.check_name(name)
            try:
                lines.append(cls.assign(name, cls.translate(val)))
            except (TypeError, ValueError) as e:
                raise type(e)(f"papermill parameter {name!r}: {e}") from None
        return "\n".join(lines) + "\n"

    # `let name = value; // help`, optionally `let name: Type = value;`
    _LET = re.compile(
        r"^\s*let\s+(?:mut\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*"
        r"(?::\s*(?P<type>[^=]+?))?\s*=\s*(?P<value>.+?)\s*;\s*(?://\s*(?P<help>.*))?$"
    )

    @classmethod
    def inspect(cls, parameters_cell) -> list:
        """The parameters of a cell tagged `parameters`, for `papermill --help-notebook`."""
        from papermill.models import Parameter

        params = []
        for line in parameters_cell.source.splitlines():
            m = cls._LET.match(line)
            if not m:
                continue
            value = m.group("value")
            typ = m.group("type")
            if typ is None:
                if value.startswith('"'):
                    typ = "&str"
                elif value in ("true", "false"):
                    typ = "bool"
                elif re.fullmatch(r"-?\d+(_?i64|_?u64)?", value):
                    typ = "i64" if "i64" in value else "u64" if "u64" in value else "i32"
                elif re.fullmatch(r"-?[\d.]+([eE][-+]?\d+)?|f64::\w+", value):
                    typ = "f64"
                else:
                    typ = "None"  # papermill's word for "unknown"
            params.append(Parameter(name=m.group("name"), inferred_type_name=typ.strip(),
                                    default=value, help=(m.group("help") or "").strip()))
        return params
