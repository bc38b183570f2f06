"""The version rule and the changelog, as pure functions over entry snapshots (dicts), so they
are tested on hand-built releases without a database.

Retiring a KPI or changing its formula (numerator, denominator), unit or direction makes a major
version; anything else a minor one. The first release is 1.0.
"""

from dataclasses import dataclass, field

from kpiworkshop.core.fragments import versioned_key

#: Definition fields whose change breaks comparisons with past figures.
MAJOR_FIELDS = ("numerator", "denominator", "unit", "direction")
#: Fields compared entry by entry (the definition's fields plus the links and notes).
COMPARED = ("definition", "goals", "audiences", "counter_metric", "training_notes", "pilot_until")


@dataclass
class FieldChange:
    field: str
    old: object
    new: object


@dataclass
class Changelog:
    added: list[dict] = field(default_factory=list)  # [{"kpi_uid", "name"}]
    changed: list[dict] = field(default_factory=list)  # [{"kpi_uid","name","fields":[…]}]
    retired: list[dict] = field(default_factory=list)  # [{"kpi_uid","name","reason"}]
    unchanged: int = 0

    @property
    def is_major(self) -> bool:
        if self.retired:
            return True
        return any(c["field"] in MAJOR_FIELDS for e in self.changed for c in e["fields"])

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "changed": self.changed,
            "retired": self.retired,
            "unchanged": self.unchanged,
        }


#: Compared without their names: a goal or an audience is the same one under its name in
#: another language, or after the organisation renamed it (the release shows its names).
NAMED_LINKS = ("goals", "audiences")


def _flatten(entry: dict) -> dict:
    flat = dict(entry.get("definition") or {})
    for key in COMPARED[1:]:
        value = entry.get(key)
        if key in NAMED_LINKS and value:
            value = [{k: v for k, v in link.items() if k != "name"} for link in value]
        flat[key] = value
    return flat


def _filled(value):
    """A value, or None when it is empty: a field a definition gained later (issue 20's, absent
    from the snapshots of older releases) is no change while it stays empty."""
    return None if value in ("", [], {}) else value


def changelog_compute(
    old: list[dict], new: list[dict], *, retired_reasons: dict[str, str] | None = None
) -> Changelog:
    """Compare two releases' entries (each a dict with ``kpi_uid``, ``name``, ``definition``
    and the fields of COMPARED) field by field."""
    retired_reasons = retired_reasons or {}
    old_by = {str(e["kpi_uid"]): e for e in old}
    new_by = {str(e["kpi_uid"]): e for e in new}
    log = Changelog()
    for uid, entry in new_by.items():
        before = old_by.get(uid)
        if before is None:
            log.added.append({"kpi_uid": uid, "name": entry["name"]})
            continue
        a, b = _flatten(before), _flatten(entry)
        fields = [
            {"field": k, "old": a.get(k), "new": b.get(k)}
            for k in dict.fromkeys([*a, *b])
            if _filled(a.get(k)) != _filled(b.get(k))
        ]
        if fields:
            log.changed.append({"kpi_uid": uid, "name": entry["name"], "fields": fields})
        else:
            log.unchanged += 1
    for uid, entry in old_by.items():
        if uid not in new_by:
            log.retired.append(
                {"kpi_uid": uid, "name": entry["name"], "reason": retired_reasons.get(uid, "")}
            )
    return log


def version_next(
    previous: tuple[int, int] | None, changelog: Changelog, *, raise_major: bool = False
) -> tuple[int, int]:
    """The next version after ``previous`` (None: this is the first release)."""
    if previous is None:
        return (1, 0)
    major, minor = previous
    if raise_major or changelog.is_major:
        return (major + 1, 0)
    return (major, minor + 1)


def release_version(organisation, *releases) -> str:
    """The version of markup that shows these releases of ``organisation``: a published
    release never changes, so its identity (and its publication time) is its version; the
    organisation's slug is in it, as the pages' links carry it."""
    return versioned_key(organisation.slug, *((r.pk, r.published_at.isoformat()) for r in releases))
