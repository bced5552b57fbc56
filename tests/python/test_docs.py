"""The manual stays honest: its code runs, the README stays a front page, and the
pointers from docstrings and comments into the docs lead somewhere.

- Every ```python block of README.md and of a page under docs/ runs: a page's blocks
  run in order in one namespace (a page opens with the block that sets up its data), in a
  scratch directory. Longer examples are `literalinclude`d from examples/, which
  test_examples.py and ctest run.
- Every ```cpp block of README.md is a verbatim excerpt of an example under
  examples/cpp (run by ctest), so it compiles and runs as shown.
- README.md is at most 300 lines and keeps the two quickstart commands.
- A comment or docstring in the package, the headers or src/ that cites a section
  (`README "X"`, `docs/page.md, "X"`) names a section that exists.
- docs/api/cpp.md documents every public header.
"""
from __future__ import annotations

import ast
import io
import linecache
import re
import tokenize
from pathlib import Path

import pytest

from conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
README_MAX_LINES = 300

FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)


def code_blocks(path: Path, language: str) -> list:
    return [m.group(2) for m in FENCE.finditer(path.read_text(encoding="utf-8"))
            if m.group(1) == language]


def headings(path: Path) -> set:
    """The titles of a Markdown file's headings."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", text, re.M)}


def pages_with_python() -> list:
    pages = [README] + sorted(DOCS.rglob("*.md"))
    return [p for p in pages if code_blocks(p, "python")]


# ---------------------------------------------------------------------------- the README
def test_readme_is_a_front_page():
    lines = README.read_text(encoding="utf-8").split("\n")
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; the front page keeps to {README_MAX_LINES}: "
        "move the detail into a page under docs/")


def test_readme_keeps_the_quickstart_commands():
    shell = "\n".join(code_blocks(README, "bash"))
    assert "./run.sh demo" in shell and "./run.sh test" in shell


def test_readme_links_lead_to_files():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert local, "the README links into the docs"
    missing = [t for t in local if not (REPO_ROOT / t).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def _normalise(code: str) -> list:
    return [" ".join(line.split()) for line in code.strip().split("\n")]


def test_readme_cpp_is_an_example_excerpt():
    blocks = code_blocks(README, "cpp")
    assert blocks, "the README shows C++"
    examples = {p.name: _normalise(p.read_text(encoding="utf-8"))
                for p in (REPO_ROOT / "examples" / "cpp").glob("*.cc")}
    for block in blocks:
        want = _normalise(block)
        found = [name for name, lines in examples.items()
                 if any(lines[i:i + len(want)] == want for i in range(len(lines)))]
        assert found, ("this C++ block of README.md is not a verbatim excerpt of an "
                       f"example in examples/cpp:\n{block}")


# ---------------------------------------------------------------------------- the pages
def test_pages_with_python_are_found():
    names = {p.name for p in pages_with_python()}
    assert {"README.md", "recommending.md", "training.md", "evaluation.md"} <= names


@pytest.mark.parametrize("page", pages_with_python(),
                         ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    for i, block in enumerate(code_blocks(page, "python")):
        name = f"{page.relative_to(REPO_ROOT)} [python block {i + 1}]"
        linecache.cache[name] = (len(block), None, block.splitlines(True), name)  # tracebacks
        code = compile(block, name, "exec")
        exec(code, namespace)  # noqa: S102 - the manual's own examples


def test_cpp_reference_covers_every_header():
    page = (DOCS / "api" / "cpp.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^```\{doxygenfile\}\s+(\S+)", page, re.M))
    headers = {p.name for p in (REPO_ROOT / "include" / "invitegraph").glob("*.h")}
    assert headers - documented == set(), "headers missing from docs/api/cpp.md"
    assert documented - headers == set(), "docs/api/cpp.md names headers that do not exist"


# ---------------------------------------------------------------------------- pointers
# `README "X"`, `README, "X"`, `README's "X"`, `the README, "X"` and
# `docs/page.md, "X"` / `docs/page.md "X"`, possibly across a line break.
POINTER = re.compile(r"""(README|docs/[\w/.-]+\.md)(?:'s)?,?\s+["“]([^"”]+)["”]""")


def python_comments_and_docstrings(path: Path) -> str:
    source = path.read_text(encoding="utf-8")
    parts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                parts.append(doc)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            parts.append(tok.string.lstrip("#"))
    return "\n".join(parts)


def cpp_comments(path: Path) -> str:
    """The text of each `//` comment, outside string and character literals."""
    parts = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        quote = None
        i = 0
        while i < len(line):
            c = line[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = None
            elif c in "\"'":
                quote = c
            elif line.startswith("//", i):
                parts.append(line[i + 2:].strip())
                break
            i += 1
    return "\n".join(parts)


def documentation_text() -> dict:
    package = REPO_ROOT / "bindings" / "python" / "invitegraph"
    texts = {p: python_comments_and_docstrings(p) for p in sorted(package.glob("*.py"))}
    for root in ("include", "src"):
        for p in sorted((REPO_ROOT / root).rglob("*")):
            if p.suffix in (".h", ".cc"):
                texts[p] = cpp_comments(p)
    return texts


def test_pointer_pattern_reads_both_forms():
    found = POINTER.findall('see the README, "Plausible times", and\n'
                            'docs/training.md, "Training defaults" (README "Rankers")')
    assert found == [("README", "Plausible times"), ("docs/training.md", "Training defaults"),
                     ("README", "Rankers")]


def test_pointers_into_the_docs_resolve():
    broken = []
    checked = 0
    for path, text in documentation_text().items():
        for target, section in POINTER.findall(" ".join(text.split())):
            checked += 1
            file = README if target == "README" else REPO_ROOT / target
            if not file.exists() or section.strip() not in headings(file):
                broken.append(f"{path.relative_to(REPO_ROOT)}: {target}, \"{section}\"")
    assert not broken, "comments or docstrings cite sections that do not exist:\n" + \
        "\n".join(broken)
    assert checked > 0, "the package cites the docs somewhere"


def test_no_citation_of_files_outside_the_repository():
    # DESIGN.md lives with the project's planning notes, not in this repository.
    cited = [str(p.relative_to(REPO_ROOT)) for p, text in documentation_text().items()
             if "DESIGN.md" in text]
    assert not cited, f"comments cite DESIGN.md, which is not in the repository: {cited}"
