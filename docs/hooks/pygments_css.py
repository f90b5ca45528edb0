"""MkDocs hook: the stylesheet for code blocks, made from Pygments at build time.

The Markdown ``codehilite`` extension marks code up with Pygments' classes; this
supplies the colours for them, so no highlighter has to be fetched by the browser.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from pygments.formatters import HtmlFormatter

STYLESHEET = "css/pygments.css"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    css = HtmlFormatter(style="default").get_style_defs(".codehilite")
    files.append(File.generated(config, STYLESHEET, content=css))
    return files
