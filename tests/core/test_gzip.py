"""Pages are compressed as Django compresses them, large ones at gzip's fastest level
(kpiworkshop/core/gzip.py), with Django's BREACH padding."""

import gzip

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.test import RequestFactory

from kpiworkshop.core.gzip import LARGE_BYTES, LARGE_LEVEL, GZipMiddleware

HTML = "".join(
    f'<li id="l{i}"><strong>KPI {i}</strong> drives KPI {i % 7}</li>\n' for i in range(4000)
)


def _answer(body: str, accept: str = "gzip, deflate, br", **headers):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)

    def view(_request):
        response = HttpResponse(body)
        for key, value in headers.items():
            response[key] = value
        return response

    return GZipMiddleware(view)(request)


def _body_after_padding(data: bytes) -> tuple[int, bytes]:
    """(the random filename's length, the deflate stream and trailer) of a padded gzip."""
    assert data[:3] == b"\x1f\x8b\x08" and data[3] & gzip.FNAME
    end = data.index(b"\x00", 10)
    return end - 10, data[end + 1 :]


def test_a_large_page_is_compressed_at_the_fast_level_with_random_padding():
    assert len(HTML.encode()) > LARGE_BYTES
    response = _answer(HTML)
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert int(response["Content-Length"]) == len(response.content)
    assert gzip.decompress(response.content).decode() == HTML
    _pad, body = _body_after_padding(response.content)
    assert body == gzip.compress(HTML.encode(), compresslevel=LARGE_LEVEL, mtime=0)[10:]
    pads = {_body_after_padding(_answer(HTML).content)[0] for _ in range(30)}
    assert len(pads) > 1 and max(pads) < DjangoGZipMiddleware.max_random_bytes


def test_a_small_page_keeps_djangos_level():
    small = HTML[:8000]
    response = _answer(small)
    assert gzip.decompress(response.content).decode() == small
    _pad, body = _body_after_padding(response.content)
    assert body == gzip.compress(small.encode(), compresslevel=6, mtime=0)[10:]


@pytest.mark.parametrize("body", [HTML, HTML[:8000]])
def test_without_gzip_in_accept_encoding_the_page_goes_as_it_is(body):
    response = _answer(body, accept="br")
    assert response.content.decode() == body
    assert not response.has_header("Content-Encoding")
    assert "Accept-Encoding" in response["Vary"]


def test_a_strong_etag_turns_weak_and_an_encoded_answer_is_left_alone():
    assert _answer(HTML, ETag='"abc"')["ETag"] == 'W/"abc"'
    already = _answer(HTML, **{"Content-Encoding": "br"})
    assert already.content.decode() == HTML and already["Content-Encoding"] == "br"


def test_a_streamed_answer_is_djangos():
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    response = GZipMiddleware(
        lambda _r: StreamingHttpResponse(iter([HTML[:50000].encode(), HTML[50000:].encode()]))
    )(request)
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(response.streaming_content)).decode() == HTML


def test_the_settings_use_ours():
    from django.conf import settings

    assert "kpiworkshop.core.gzip.GZipMiddleware" in settings.MIDDLEWARE
    assert "django.middleware.gzip.GZipMiddleware" not in settings.MIDDLEWARE
