"""Every page the browser journeys visited is valid HTML (Nu HTML Checker, one JVM for all).

The journeys' contexts save each HTML page and each htmx fragment they load (conftest
``_save_document``; a fragment inside ``<template>`` of a minimal page); this test runs last
(``after_journeys``) and validates them. The one message filtered out is vnu's
"Attribute “hx-…” not allowed": we keep htmx's documented ``hx-*`` attributes (the project's
conventions, tests and app.js use them) rather than ``data-hx-*``; the filter is anchored on
that exact message, so any other error on an element carrying hx-* still fails.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import SAVED_HTML

ROOT = Path(__file__).resolve().parent.parent.parent
VNU_JAR = Path(os.environ.get("KPIW_VNU_JAR", ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"))
HTMX_ATTRIBUTE = r"Attribute “hx-[a-z:-]+” not allowed on element “[a-z]+” at this point\."

pytestmark = pytest.mark.after_journeys


def test_every_visited_page_is_valid_html():
    if not SAVED_HTML:
        pytest.skip("no browser journey ran in this session: no page to validate")
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        pytest.fail(
            f"the Nu HTML Checker needs Java and {VNU_JAR}: run `make install-test` "
            "(npm installs vnu-jar into node_modules/)",
            pytrace=False,
        )
    result = subprocess.run(
        [
            java,
            # vnu's schema needs a deep stack; the quick JIT and the serial collector make one
            # short run three times faster (5 s instead of 18 s for ~90 pages here).
            "-Xss8m",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--format",
            "json",
            "--filterpattern",
            HTMX_ATTRIBUTE,
            *map(str, SAVED_HTML),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [m for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]
    lines = [
        f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m.get('message')}\n"
        f"    {m.get('extract', '').strip()[:160]}"
        for m in errors
    ]
    assert not errors, f"{len(errors)} HTML error(s) in {len(SAVED_HTML)} pages:\n" + "\n".join(
        lines
    )
