"""Read: formats, encodings, aliases, validation and coordinate systems."""

__all__: list[str] = []
