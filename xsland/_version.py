"""The installed version of xsland, in a module of its own so that any layer may import it."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("xsland")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
