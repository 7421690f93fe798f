"""xsland: land-use audit of industrial parks (Xishan, Wuxi)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("xsland")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
