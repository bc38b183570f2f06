"""URL converters."""


class IdConverter:
    """A database id: 1 to 18 digits. Longer numbers would overflow a 64-bit integer column
    (SQLite raises instead of finding nothing), so they do not match and the page is a 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
