import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_has_a_multi_line_hash_comment():
    # Django's {# #} comment is one line only: spread over lines, it is printed to the reader.
    offenders = []
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file() or path.suffix not in {".html", ".txt", ".xml", ".md", ".svg"}:
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\{#(?:(?!#\}).)*?\n", text, flags=re.DOTALL):
            line = text.count("\n", 0, match.start()) + 1
            offenders.append(f"{path.relative_to(TEMPLATES)}:{line}")
    assert offenders == []
