"""Validate every metric of an OpenMetadata export zip against OpenMetadata's own generated
model (``CreateMetricRequest`` of openmetadata-ingestion, pinned in requirements-dbt.txt,
installed without its dependencies). Run with the .venv-dbt python: ``om_validate.py ZIP``.
Prints one line per file; exits 1 on the first invalid one."""

import importlib.util
import json
import sys
import types
import zipfile

# The package's __init__ imports the profiler (SQLAlchemy and more); the generated models need
# only pydantic, so the package is registered without running its __init__.
_spec = importlib.util.find_spec("metadata")
_pkg = types.ModuleType("metadata")
_pkg.__path__ = list(_spec.submodule_search_locations)
sys.modules["metadata"] = _pkg

from metadata.generated.schema.api.data.createMetric import CreateMetricRequest  # noqa: E402


def main(path: str) -> int:
    archive = zipfile.ZipFile(path)
    names = sorted(n for n in archive.namelist() if n.startswith("metrics/"))
    for name in names:
        CreateMetricRequest.model_validate(json.loads(archive.read(name)))
        print(f"valid {name}")
    print(f"{len(names)} metrics valid")
    return 0 if names else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
