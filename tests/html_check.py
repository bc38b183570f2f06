"""The Nu HTML Checker (vnu), run once over many saved HTML files.

Used by the browser journeys' check (tests/e2e/test_html_validity.py) and by the crawl of every
page of the demo (tests/integration/test_html_validity.py). The one message filtered out is
vnu's "Attribute “hx-…” not allowed": we keep htmx's documented ``hx-*`` attributes (the
project's conventions, tests and app.js use them) rather than ``data-hx-*``; the filter is
anchored on that exact message, so any other error on an element carrying hx-* still fails.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = Path(os.environ.get("KPIW_VNU_JAR", ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"))
HTMX_ATTRIBUTE = r"Attribute “hx-[a-z:-]+” not allowed on element “[a-z]+” at this point\."


def vnu_errors(files: list[Path]) -> list[str]:
    """Validate the files in one JVM; return one readable line per error (none: valid)."""
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
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    except ValueError:
        pytest.fail(f"vnu did not answer in JSON:\n{result.stderr[:2000]}", pytrace=False)
    return [
        f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m.get('message')}\n"
        f"    {m.get('extract', '').strip()[:160]}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]
