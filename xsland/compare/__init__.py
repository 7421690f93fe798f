"""Compare: two finished audits and the change between them."""

__all__: list[str] = []
