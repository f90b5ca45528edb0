"""The ``townhall`` console script: Django's management commands under our name."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townhall.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import InterfaceError, OperationalError

    args = list(sys.argv if argv is None else argv)
    args[0] = "townhall"
    try:
        execute_from_command_line(args)
    except (OperationalError, InterfaceError) as exc:
        # A read-only, full or unreachable database is the operator's to fix: say
        # so in one line rather than a traceback into Django.
        from townhall.lib.dbfaults import command_message

        sys.exit(command_message(exc))


if __name__ == "__main__":
    main()
