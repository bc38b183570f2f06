"""Demo data of the reviews: feedback, a few months of measured values and a review due soon on
the demo catalogue's current release (``catalog.demo`` publishes it first)."""

import datetime

from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.catalog.selectors import release_current

from .models import Answer, EntryReview, Feedback, Measurement

#: KPI name -> monthly values, oldest first (six months up to last month): first contact
#: resolution on its way to target, chatbot escalation drifting out of its range, the
#: employee NPS slipping.
DEMO_VALUES = {
    "First contact resolution": ["71", "73", "74", "76", "78", "79.5"],
    "Chatbot escalation to a person": ["19", "21", "24", "26", "28", "31"],
    "Employee Net Promoter Score": ["14", "12", "11", "9"],
}
#: KPI name -> answers (helps, unclear, wrong) from agents and supervisors
DEMO_FEEDBACK = {
    "First contact resolution": (9, 2, 1),
    "Chatbot escalation to a person": (2, 3, 6),
    "Employee Net Promoter Score": (3, 5, 1),
}
DEMO_COMMENTS = {
    "Chatbot escalation to a person": "We are told to keep people in the bot even when it "
    "cannot help them.",
    "Employee Net Promoter Score": "Nobody told us what the survey score means for us.",
}


def _months_back(today: datetime.date, n: int) -> datetime.date:
    month0 = today.year * 12 + today.month - 1 - n
    return datetime.date(month0 // 12, month0 % 12 + 1, 1)


def _periods_back(today: datetime.date, n: int, frequency: str | None) -> datetime.date:
    """The start of the ``n``-th complete period before ``today``'s, of the KPI's frequency: a
    weekly KPI's demo values are weekly, a quarterly one's quarterly."""
    from .periods import DAY, MONTH, QUARTER, WEEK, period_kind, period_start

    kind = period_kind(frequency)
    if kind == WEEK:
        return period_start(today, WEEK) - datetime.timedelta(weeks=n)
    if kind == QUARTER:
        return _months_back(period_start(today, QUARTER), 3 * n)
    if kind == DAY:
        return today - datetime.timedelta(days=n)
    assert kind == MONTH
    return _months_back(today, n)


def demo_seed(*, organisation: Organisation, today: datetime.date | None = None) -> int:
    """Feedback, a few months of values and a review due soon on the demo catalogue's current
    release. Idempotent: an organisation with values already is left as it is. Returns the
    number of values written."""
    release = release_current(organisation_id=organisation.pk)
    if release is None or Measurement.objects.filter(organisation=organisation).exists():
        return 0
    today = today or datetime.date.today()
    entries = {e.name: e for e in release.entries.all()}
    written = 0
    for name, values in DEMO_VALUES.items():
        entry = entries.get(name)
        if entry is None:
            continue
        Measurement.objects.bulk_create(
            [
                Measurement(
                    organisation=organisation,
                    kpi_uid=entry.kpi_uid,
                    entry=entry,
                    period=_periods_back(
                        today, len(values) - i, (entry.definition or {}).get("frequency")
                    ),
                    value=value,
                    entered_by_name="Demo",
                )
                for i, value in enumerate(values)
            ]
        )
        written += len(values)
    for name, counts in DEMO_FEEDBACK.items():
        entry = entries.get(name)
        if entry is None:
            continue
        rows = []
        answers = [Answer.HELPS] * counts[0] + [Answer.UNCLEAR] * counts[1]
        answers += [Answer.WRONG] * counts[2]
        for i, answer in enumerate(answers):
            role = Role.SUPERVISOR if i % 4 == 3 else Role.AGENT
            comment = (
                DEMO_COMMENTS.get(name, "")
                if answer != Answer.HELPS and i == len(answers) - 1
                else ""
            )
            rows.append(
                Feedback(
                    entry=entry, person=f"g:demo-{i}", role=role, answer=answer, comment=comment
                )
            )
        Feedback.objects.bulk_create(rows)
    escalation = entries.get("Chatbot escalation to a person")
    if escalation is not None:
        EntryReview.objects.update_or_create(
            entry=escalation, defaults={"next_review": today + datetime.timedelta(days=5)}
        )
    return written
