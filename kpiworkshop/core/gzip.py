"""Django's ``GZipMiddleware``, compressing a large page at gzip's fastest level.

Django compresses every page at level 6. On a page of a few kilobytes (a phone's) that costs
little and every byte saved counts on a crowded Wi-Fi, so those pages keep Django's level. On a
large page the time grows with the size while the bytes saved do not matter: the facilitator's
KPI tree (about 190 KB of HTML for 100 KPIs) took 1.7 ms to compress at level 6, more than the
rest of its request, and 0.6 ms at level 1, for 22 KB sent instead of 17 KB
(docs/benchmarks.md, "Compressing large pages"). nginx's default level is 1 for the same
reason. So from ``LARGE_BYTES`` of HTML on, the page is compressed at ``LARGE_LEVEL``.

Everything else is Django's: the short-response and ``Content-Encoding`` skips, ``Vary``, the
weak ETag, streaming responses, and the BREACH mitigation (a random-length filename in the gzip
header, up to ``max_random_bytes``), written here as Django writes it.
"""

from __future__ import annotations

import gzip
import secrets

from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers

LARGE_BYTES = 32 * 1024
LARGE_LEVEL = 1


def compress_padded(content: bytes, *, level: int, max_random_bytes: int) -> bytes:
    """``django.utils.text.compress_string`` at ``level``: gzip with a random-length filename
    of ``a``s in the header (BREACH), which every gzip reader skips."""
    compressed = memoryview(gzip.compress(content, compresslevel=level, mtime=0))
    header = bytearray(compressed[:10])
    header[3] = gzip.FNAME
    filename = b"a" * secrets.randbelow(max_random_bytes) + b"\x00"
    return bytes(header) + filename + compressed[10:]


class GZipMiddleware(DjangoGZipMiddleware):
    def process_response(self, request, response):
        if response.streaming or len(response.content) < LARGE_BYTES:
            return super().process_response(request, response)
        if response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = compress_padded(
            response.content, level=LARGE_LEVEL, max_random_bytes=self.max_random_bytes
        )
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response
