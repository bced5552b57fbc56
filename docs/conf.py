"""Sphinx configuration of the invitegraph manual.

Build (warnings are errors, as `./run.sh test` runs it; the installed package must be
importable by this Python, and `doxygen` on PATH):

    python -m sphinx -W --keep-going -b html docs build/docs-html

Pages are MyST Markdown. The Python reference is autodoc over the installed
`invitegraph`; the C++ reference is breathe over Doxygen XML of include/invitegraph,
which this file generates (into build/docs-doxygen/ unless INVITEGRAPH_DOXYGEN_OUT says
otherwise) before Sphinx reads the pages.
"""
import os
import pathlib
import shutil
import subprocess
import sys

import invitegraph

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "invitegraph"
author = "the invitegraph authors"
copyright = "the invitegraph authors; Apache-2.0"
version = release = invitegraph.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "breathe",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_doxygen", "Thumbs.db", ".DS_Store"]

# MyST: anchors for headings down to ###, so pages link to sections as
# [text](training.md#training-defaults); $...$ stays literal text.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# autodoc + napoleon: the package's docstrings are numpy style.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# invitegraph.spark imports PySpark; the reference is read without it (and without Java).
autodoc_mock_imports = ["pyspark"]

html_theme = "furo"
html_title = f"invitegraph {release}"
pygments_style = "sphinx"
highlight_language = "none"   # a fence without a language is plain text


def _run_doxygen() -> pathlib.Path:
    """Writes Doxygen XML of the public headers; any Doxygen warning is an error."""
    out = pathlib.Path(os.environ.get("INVITEGRAPH_DOXYGEN_OUT", ROOT / "build" / "docs-doxygen"))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    doxygen = shutil.which("doxygen")
    if doxygen is None:
        raise RuntimeError("doxygen is not installed (apt-get install doxygen); "
                           "the C++ reference is generated from the headers with it")
    env = dict(os.environ,
               INVITEGRAPH_DOXYGEN_INPUT=str(ROOT / "include" / "invitegraph"),
               INVITEGRAPH_DOXYGEN_OUTPUT=str(out),
               INVITEGRAPH_DOXYGEN_PYTHON=sys.executable,
               INVITEGRAPH_DOXYGEN_FILTER=str(DOCS / "_doxygen" / "filter.py"))
    proc = subprocess.run([doxygen, str(DOCS / "_doxygen" / "Doxyfile")], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0 or proc.stderr.strip():
        raise RuntimeError(f"doxygen failed (exit {proc.returncode}):\n{proc.stderr}")
    return out / "xml"


breathe_projects = {"invitegraph": str(_run_doxygen())}
breathe_default_project = "invitegraph"
breathe_domain_by_extension = {"h": "cpp"}


def _namespaces(xml_dir: str) -> set:
    """The namespaces Doxygen found, qualified and by their last name."""
    import xml.etree.ElementTree as ET
    names = set()
    for compound in ET.parse(os.path.join(xml_dir, "index.xml")).getroot():
        if compound.get("kind") == "namespace":
            name = compound.findtext("name")
            names.update({name, name.split("::")[-1]})
    return names


class _NamespacePerHeader:
    """Drops one warning: a namespace declared again by the next header's section.

    api/cpp.md documents one header per `doxygenfile`, and breathe renders each header's
    namespace-scope declarations inside that namespace, so `invitegraph` is declared once
    per header and Sphinx reports every repeat as a duplicate C++ declaration. Only that
    case is dropped: any other duplicate (a class or function documented twice) still
    fails the build.
    """

    def __init__(self, namespaces: set):
        self.namespaces = namespaces

    def filter(self, record) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (str(record.msg).startswith("Duplicate C++ declaration")
                    and len(args) == 4 and args[2] == "type"
                    and str(args[3]) in self.namespaces)


def setup(app):
    import logging
    logging.getLogger("sphinx.sphinx.domains.cpp").addFilter(
        _NamespacePerHeader(_namespaces(breathe_projects["invitegraph"])))
