# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Sphinx configuration.

    sphinx-build -W -b html docs docs/_build/html        # the pages
    sphinx-build -W -b doctest docs docs/_build/doctest  # their examples, run

The guide's figures are drawn from the package at the start of every build by
``make_figures.py`` into ``_generated/``.
"""

from pathlib import Path
import sys

DOCS = Path(__file__).resolve().parent
# The package from this checkout, and make_figures beside this file.
sys.path.insert(0, str(DOCS.parent))
sys.path.insert(0, str(DOCS))

from numpyro_mixsupport import __version__  # noqa: E402

project = "numpyro-mixsupport"
author = "Contributors to the numpyro-mixsupport project"
copyright = author
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]
pygments_style = "sphinx"

# Autodoc, as in NumPyro's reference: members in source order, signatures with
# type hints in the signature line.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_inherit_docstrings = True
add_module_names = False

# Markdown pages (the upstream PR text and the bad-input catalogue) are written
# by other tools; give their headings anchors so they can be linked to.
myst_heading_anchors = 3

# Doctest blocks run with ``sphinx-build -b doctest``, in float32 as a user's
# session would be, and on the CPU.
doctest_global_setup = """
import jax
jax.config.update("jax_platform_name", "cpu")
"""

html_theme = "sphinx_rtd_theme"
html_title = f"numpyro-mixsupport {release}"
html_show_sourcelink = False
html_theme_options = {"navigation_depth": 3}


def _make_figures(app):
    import make_figures
    from sphinx.util import logging

    for path in make_figures.main():
        logging.getLogger(__name__).info(f"figure: {path.relative_to(DOCS)}")


def setup(app):
    app.connect("builder-inited", _make_figures)
