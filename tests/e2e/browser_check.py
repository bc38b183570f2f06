"""Printed before the suite: is the system Chromium there for the browser tests?"""

import os
import shutil
import sys

path = os.environ.get("KPIW_CHROMIUM", "/usr/bin/chromium")
if os.environ.get("KPIW_SKIP_BROWSER") == "1":
    print("KPIW_SKIP_BROWSER=1: browser (e2e) tests will be skipped.")
elif not (os.path.exists(path) or shutil.which("chromium")):
    print(
        f"Chromium not found at {path}."  # noqa: S608 - a message, not SQL
        " The browser tests will FAIL.\n"
        "Install it with: sudo apt-get update && sudo apt-get install -y chromium\n"
        "or set KPIW_SKIP_BROWSER=1 to skip them.",
        file=sys.stderr,
    )
