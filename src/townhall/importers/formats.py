"""The source formats ``townhall import`` reads, by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from townhall.importers import coral, disqus, isso, wordpress
from townhall.importers.records import Record

Reader = Callable[..., Iterator[Record]]

READERS: dict[str, Reader] = {
    "disqus": disqus.read,
    "wordpress": wordpress.read,
    "isso": isso.read,
    "coral": coral.read,
}
