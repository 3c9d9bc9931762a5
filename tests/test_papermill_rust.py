"""The papermill translator for Rust notebooks (python/eddy_papermill), in Python: the Rust
literal each parameter value becomes, what is refused, and papermill finding the translator
through the installed package's entry point. The string escapes are also compiled with rustc
and printed back, so "escaped" means "reads back as the same text in Rust".

No kernel is started (the session's kernelspec check in conftest.py still applies).
"""

from __future__ import annotations

import datetime
import importlib.util
import math
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent


def _tree_translator():
    """This tree's translator module, loaded from its file: the code under test is the
    repository's even when papermill already imported the installed copy of the package."""
    path = REPO / "python" / "eddy_papermill" / "eddy_papermill" / "translator.py"
    spec = importlib.util.spec_from_file_location("eddy_papermill_tree_translator", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RustTranslator = _tree_translator().RustTranslator
T = RustTranslator


def test_strings_are_rust_literals_with_escapes():
    assert T.translate("embedded") == '"embedded"'
    assert T.translate('say "hi"') == r'"say \"hi\""'
    assert T.translate("C:\\dir\\") == r'"C:\\dir\\"'
    assert T.translate("two\nlines\r\n") == r'"two\nlines\r\n"'
    assert T.translate("tab\tnul\0") == r'"tab\tnul\0"'
    assert T.translate("bell\x07 del\x7f c1\x85") == r'"bell\u{7} del\u{7f} c1\u{85}"'
    assert T.translate("") == '""'
    # printable non-ASCII stays as it is (Rust source is UTF-8); `'` and `{` need no escape
    assert T.translate("é € 株 🦀 ' {x}") == "\"é € 株 🦀 ' {x}\""


def test_a_lone_surrogate_is_refused():
    with pytest.raises(ValueError, match="surrogate"):
        T.translate("bad \udc80")


def test_numbers_bools_and_none():
    assert T.translate(True) == "true" and T.translate(False) == "false"
    assert T.translate(0) == "0" and T.translate(-5) == "-5"
    assert T.translate(2**31 - 1) == "2147483647"  # still Rust's default i32
    assert T.translate(2**31) == "2147483648_i64"
    assert T.translate(-(2**63)) == "-9223372036854775808_i64"
    assert T.translate(2**64 - 1) == "18446744073709551615_u64"
    assert T.translate(0.5) == "0.5"
    assert T.translate(1e20) == "1e+20"
    assert T.translate(-2.5e-7) == "-2.5e-07"
    assert T.translate(0.1 + 0.2) == "0.30000000000000004"  # exact round trip
    assert T.translate(math.nan) == "f64::NAN"
    assert T.translate(math.inf) == "f64::INFINITY" and T.translate(-math.inf) == "f64::NEG_INFINITY"
    assert T.translate(None) == "()"


def test_an_integer_beyond_u64_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        T.translate(2**64)


def test_lists_and_dicts_hold_one_type():
    assert T.translate(["127.0.3.1", "127.0.3.2"]) == 'vec!["127.0.3.1", "127.0.3.2"]'
    assert T.translate([1, 2.5]) == "vec![1.0, 2.5]"  # ints widen next to floats
    assert T.translate([[1], [2.0, 3]]) == "vec![vec![1.0], vec![2.0, 3.0]]"
    assert T.translate([]) == "Vec::<&str>::new()"
    assert T.translate([[], ["a"]]) == 'vec![Vec::<&str>::new(), vec!["a"]]'
    assert T.translate({"JPM": 0.4, "BAC": 1}) == (
        'std::collections::BTreeMap::from([("JPM", 0.4), ("BAC", 1.0)])')
    assert T.translate({}) == "std::collections::BTreeMap::<&str, &str>::new()"


@pytest.mark.parametrize("value, message", [
    (["a", 1], "mixes &str and i32"),
    ([True, 1], "mixes bool and i32"),
    ([["a"], [1]], "mixes Vec<&str> and Vec<i32>"),
    ({1: "a"}, "string keys"),
    ({"a": "x", "b": 2}, "mixes &str and i32"),
])
def test_mixed_containers_are_refused(value, message):
    with pytest.raises(TypeError, match=message):
        T.translate(value)


@pytest.mark.parametrize("value", [
    datetime.date(2020, 1, 1),  # what YAML makes of an unquoted 2020-01-01
    ("a", "b"),
    {"a", "b"},
    b"bytes",
    [datetime.datetime(2020, 1, 1)],
    object(),
])
def test_unsupported_types_are_refused_by_parameter_name(value):
    with pytest.raises(TypeError, match=r"papermill parameter 'start'.*has no Rust translation"):
        T.codify({"backend": "kafka", "start": value})


def test_codify_writes_one_let_per_parameter_in_order():
    cell = T.codify({"backend": "cassandra", "nodes": "127.0.0.1", "rows": 100, "fast": True})
    assert cell == ('// Parameters\n'
                    'let backend = "cassandra";\n'
                    'let nodes = "127.0.0.1";\n'
                    'let rows = 100;\n'
                    'let fast = true;\n')
    assert T.codify({}, comment="two\nlines") == "// two\n// lines\n"


@pytest.mark.parametrize("name", ["type", "match", "self", "1st", "my-name", "_", "a b", ""])
def test_names_must_be_rust_identifiers_and_not_keywords(name):
    with pytest.raises(ValueError, match="Rust"):
        T.codify({name: 1})


def test_inspect_reads_the_parameters_cell():
    cell = nbformat.v4.new_code_cell(
        'let backend = "embedded"; // embedded | kafka\n'
        "let rows = 10;\n"
        "let ratio: f64 = 0.5;\n"
        "// a comment\n"
        "let fast = false;")
    params = T.inspect(cell)
    assert [(p.name, p.inferred_type_name, p.default, p.help) for p in params] == [
        ("backend", "&str", '"embedded"', "embedded | kafka"),
        ("rows", "i32", "10", ""),
        ("ratio", "f64", "0.5", ""),
        ("fast", "bool", "false", ""),
    ]


def rust_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({"kernelspec": {"display_name": "Rust (eddy)", "language": "rust", "name": "eddy"},
                        "language_info": {"name": "rust", "file_extension": ".rs"}})
    params = nbformat.v4.new_code_cell('let backend = "embedded";')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), params, nbformat.v4.new_code_cell("backend")]
    return nb


def test_papermill_finds_the_translator_through_the_entry_point(tmp_path):
    """As `papermill -p backend kafka` does: the installed package's entry point registers it."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook
    from papermill.translators import papermill_translators

    found = papermill_translators.find_translator("eddy", "rust")
    # The installed copy or this tree's (whichever was imported first in this session).
    assert (found.__module__, found.__name__) == ("eddy_papermill.translator", "RustTranslator"), (
        "papermill does not see the Rust translator: run ./install.sh (step `papermill "
        "parameters for Rust`), which installs python/eddy_papermill into the venv")
    path = tmp_path / "nb.ipynb"
    nbformat.write(rust_notebook(), path)
    nb = parameterize_notebook(load_notebook_node(str(path)), {"backend": "kafka", "brokers": "127.0.0.1:9092"})
    injected = nb.cells[2]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert injected.source == '// Parameters\nlet backend = "kafka";\nlet brokers = "127.0.0.1:9092";\n'
    assert nb.cells[3].source == "backend"


TRICKY = ['say "hi"', "C:\\dir\\", "two\nlines\r\n", "tab\tnul\0end", "bell\x07 del\x7f c1\x85",
          "é € 株 🦀 ' {x} }}", "\\n is not a newline", '"', "\\", ""]


def test_string_literals_read_back_the_same_in_rust(tmp_path):
    rustc = shutil.which("rustc")
    assert rustc, "rustc is not on PATH: eddy needs Rust (see README.md), and this test compiles with it"
    body = "\n".join(f'    print!("{{}}\\u{{1}}", {T.translate(s)});' for s in TRICKY)
    src = tmp_path / "main.rs"
    src.write_text(f"fn main() {{\n{body}\n}}\n", encoding="utf-8")
    exe = tmp_path / "main"
    subprocess.run([rustc, "--edition", "2021", "-o", str(exe), str(src)], check=True,
                   capture_output=True, timeout=120)
    out = subprocess.run([str(exe)], check=True, capture_output=True, timeout=30).stdout.decode("utf-8")
    assert out.split("\x01")[:-1] == TRICKY


def test_run_notebooks_passes_each_notebook_the_parameters_it_declares(tmp_path):
    """scripts/run_notebooks.py -p: read as papermill's CLI reads them, checked against the
    notebooks' parameters cells before any kernel starts."""
    sys.path.insert(0, str(REPO / "scripts"))
    import run_notebooks

    assert [run_notebooks.resolve_value(v) for v in ["kafka", "3", "0.5", "True", "None", "127.0.0.1:9092"]] == [
        "kafka", 3, 0.5, True, None, "127.0.0.1:9092"]
    assert run_notebooks.declared_parameters(REPO / "notebooks" / "01-stream.ipynb") == {"backend", "brokers"}
    assert run_notebooks.declared_parameters(REPO / "notebooks" / "02-store.ipynb") == {
        "backend", "nodes", "keyspace", "cluster3"}
    assert run_notebooks.declared_parameters(REPO / "notebooks" / "04-model.ipynb") == set()
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "run_notebooks.py"), "--out", str(tmp_path),
         "-p", "bakend", "kafka", str(REPO / "notebooks" / "01-stream.ipynb")],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "parameter(s) bakend declared by none of 01-stream.ipynb" in proc.stderr
