"""``python -m xsland``: the command line, as the ``xsland`` script (:func:`xsland.cli.main`)."""

from __future__ import annotations

from xsland.cli import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover - run as a program
    main(prog_name="xsland")
