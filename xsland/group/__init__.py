"""Group: contiguous blocks of low-efficiency land (连片)."""

__all__: list[str] = []
