import datetime

from kpiworkshop.catalog.selectors import release_current
from kpiworkshop.demo import seed
from kpiworkshop.reviews import selectors
from kpiworkshop.reviews.charts import chart_build
from kpiworkshop.reviews.models import EntryReview, Feedback, Measurement


def test_seed_demo_has_feedback_values_and_a_review_due_soon(db):
    result = seed()
    seed()  # idempotent
    release = release_current(organisation_id=result.organisation.pk)
    entries = {e.name: e for e in release.entries.all()}
    escalation = entries["Chatbot escalation to a person"]
    fcr = entries["First contact resolution"]
    assert Measurement.objects.filter(kpi_uid=fcr.kpi_uid).count() == 6
    assert Measurement.objects.filter(organisation=result.organisation).count() == 16
    summaries = selectors.feedback_summaries(entry_ids=[e.pk for e in entries.values()])
    assert summaries[escalation.pk].flagged and not summaries[fcr.pk].flagged
    assert Feedback.objects.filter(entry=escalation).exclude(comment="").exists()
    due = EntryReview.objects.get(entry=escalation).next_review
    assert 0 < (due - datetime.date.today()).days <= 14
    # One KPI on its way to target, one drifting out of its range.
    on_track = chart_build(
        definition=fcr.definition,
        measurements=list(Measurement.objects.filter(kpi_uid=fcr.kpi_uid).order_by("period")),
    )
    drifting = chart_build(
        definition=escalation.definition,
        measurements=list(
            Measurement.objects.filter(kpi_uid=escalation.kpi_uid).order_by("period")
        ),
    )
    assert on_track.improving is True
    assert drifting.improving is False
