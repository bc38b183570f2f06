"""The Map stage's pages (filled in below as they land)."""
