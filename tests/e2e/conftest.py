"""Browser tests: Playwright (sync API) driving the system Chromium against ``live_server``.

Every test here is marked ``e2e``. ``KPIW_SKIP_BROWSER=1`` skips them; a missing Chromium is a
failure, not a skip, so a machine without a browser cannot pass the suite by accident.
``KPIW_E2E_SCREENSHOTS=1`` also saves a screenshot of every page ``check_axe`` looks at, for a
person to review layouts at phone and projector sizes. Screenshots of failing tests always go
to ``test-artifacts/``.
"""

import functools
import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("KPIW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_MISSING = (
    f"Chromium not found at {CHROMIUM}: install it with "  # noqa: S608 - a message, not SQL
    "`sudo apt-get update && sudo apt-get install -y chromium`, "
    "or set KPIW_SKIP_BROWSER=1 to skip browser tests"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Impacts that fail a test; "minor" and "moderate" findings are left to review.
AXE_FAILING_IMPACTS = {"serious", "critical"}
# Every HTML document the browser loads in this session is saved here, and the Nu HTML Checker
# validates the lot in one JVM at the end of the e2e run (test_html_validity.py).
HTML_DIR = ARTIFACTS / "html"
SAVED_HTML: list[Path] = []
# Chromium reports each blocked script, style or eval on the console; the init script also
# logs every `securitypolicyviolation` event (report-only ones too) in one recognisable form.
CSP_PREFIX = "CSP violation:"
CSP_LISTENER = (
    "document.addEventListener('securitypolicyviolation', (e) => console.error("
    f"'{CSP_PREFIX} ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + "
    "' at ' + e.sourceFile + ':' + e.lineNumber));"
)

# Playwright's sync API keeps an event loop running in the main thread, and Django refuses
# ORM calls from a thread with a running loop unless told it is safe (it is: the loop only
# talks to the browser). Set before any test touches the database.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _in_e2e(item) -> bool:
    return Path(str(item.fspath)).resolve().is_relative_to(HERE)


def pytest_collection_modifyitems(config, items):
    # This hook sees the whole session's items, not only this directory's.
    # The HTML validity check reads what the journeys saved: it runs after all of them.
    items.sort(key=lambda item: item.get_closest_marker("after_journeys") is not None)
    skip = None
    if os.environ.get("KPIW_SKIP_BROWSER") == "1":
        skip = pytest.mark.skip(reason="KPIW_SKIP_BROWSER=1: browser tests skipped")
    for item in items:
        if _in_e2e(item):
            item.add_marker(pytest.mark.e2e)
            if skip is not None:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Fixtures read this in their teardown to decide whether to keep a screenshot.
    setattr(item, f"rep_{report.when}", report)
    return report


# --- browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except BaseException:
        pw.stop()
        raise
    yield browser
    browser.close()
    pw.stop()


def _failed(request) -> bool:
    return any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


@pytest.fixture(scope="session")
def _html_dir():
    shutil.rmtree(HTML_DIR, ignore_errors=True)
    HTML_DIR.mkdir(parents=True)
    SAVED_HTML.clear()
    return HTML_DIR


# An htmx fragment is checked inside <template>, where any element (a <tr>, an <li>) may stand.
FRAGMENT_SHELL = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>fragment</title>'
    b"</head><body><template>%s</template></body></html>"
)


def _save_document(request, folder: Path) -> None:
    """Keep the HTML the server sent (not the DOM after scripts) for each page and each htmx
    fragment, once per distinct body.

    Called on "requestfinished", when the whole body has arrived: reading it on "response"
    (headers only) could wait for a body that never came, the page being closed meanwhile, and
    hang the test's teardown."""
    fragment = request.headers.get("hx-request") == "true"
    if request.resource_type != "document" and not fragment:
        return
    try:
        response = request.response()
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            return
        body = response.body()
    except Exception:  # a redirect, or a page closed before its body was read
        return
    if fragment and body.lstrip()[:9].lower() == b"<!doctype":
        fragment = False  # a whole page answered to htmx (e.g. after a redirect): as it is
    if fragment:
        if not body.strip():
            return
        body = FRAGMENT_SHELL % body
    path = response.url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0] or "home"
    digest = hashlib.sha1(body, usedforsecurity=False).hexdigest()[:10]
    kind = "fragment-" if fragment else ""
    target = folder / f"{kind}{_safe_name(path)}-{digest}.html"
    if not target.exists():
        target.write_bytes(body)
        SAVED_HTML.append(target)


@pytest.fixture
def _new_context(browser, live_server, request, _html_dir):
    """Factory of fresh browser contexts whose pages are screenshotted if the test fails.

    Every context fails its test on any Content-Security-Policy violation, and saves each HTML
    document it loads for the validity check.
    """
    contexts = []
    violations: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if text.startswith(CSP_PREFIX) or "Content Security Policy" in text:
            violations.append(f"{message.page.url if message.page else '?'}: {text}")

    def make(name: str, **options):
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.kpiw_name = name
        context.add_init_script(CSP_LISTENER)
        context.on("console", on_console)
        context.on("requestfinished", lambda request: _save_document(request, _html_dir))
        contexts.append(context)
        return context

    yield make
    failed = _failed(request)
    for context in contexts:
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for i, page in enumerate(context.pages):
                path = ARTIFACTS / _safe_name(f"{request.node.name}-{context.kpiw_name}-{i}.png")
                try:
                    page.screenshot(path=str(path), full_page=True)
                except Exception as exc:  # a screenshot must not hide the failure
                    print(f"could not save {path}: {exc}")
                else:
                    print(f"screenshot of the failure: {path}")
        context.close()
    if violations and not failed:
        pytest.fail(
            "Content-Security-Policy violations in the browser:\n" + "\n".join(violations),
            pytrace=False,
        )


@pytest.fixture
def phone_page(_new_context):
    """A phone: 360 × 740 CSS pixels, touch, mobile viewport meta honoured."""
    context = _new_context(
        "phone",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    return context.new_page()


@pytest.fixture
def projector_page(_new_context):
    """A projector or laptop driving one: 1920 × 1080, no scaling."""
    context = _new_context(
        "projector", viewport={"width": 1920, "height": 1080}, device_scale_factor=1
    )
    return context.new_page()


# --- checks ---------------------------------------------------------------------------------


@functools.cache
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()  # reads the bundled axe-core script once per session


def check_axe(page, *, name: str | None = None) -> None:
    """Run axe-core on the page as it is now; fail listing the serious and critical findings.

    With ``KPIW_E2E_SCREENSHOTS=1`` also save a full-page screenshot named after the page.
    """
    if os.environ.get("KPIW_E2E_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        label = name or page.url.split("://", 1)[-1].split("/", 1)[-1] or "home"
        page.screenshot(path=str(ARTIFACTS / _safe_name(f"{width}-{label}.png")), full_page=True)
    # Axe judges the page at rest: wait out an htmx request in flight (a poll, a swap).
    # (A loop, not wait_for_function: the page's CSP forbids the eval that one needs.)
    for _ in range(100):
        if page.evaluate("() => !document.querySelector('.htmx-request')"):
            break
        page.wait_for_timeout(100)
    results = _axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in AXE_FAILING_IMPACTS]
    if bad:
        lines = [f"axe found {len(bad)} serious/critical violation(s) on {page.url}:"]
        for v in bad:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v.get('helpUrl', '')}>")
            for node in v["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                lines.append(f"    {target}: {node.get('failureSummary', '').strip()}")
        pytest.fail("\n".join(lines), pytrace=False)
