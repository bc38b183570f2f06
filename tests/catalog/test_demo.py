from kpiworkshop.catalog.models import CatalogRelease, Export
from kpiworkshop.demo import seed


def test_seed_demo_publishes_1_0_and_a_review_with_a_change_and_a_retirement(db):
    seed()
    seed()  # idempotent
    releases = list(CatalogRelease.objects.order_by("major", "minor"))
    assert [r.version for r in releases] == ["1.0", "2.0"]
    first, second = releases
    assert first.entries.count() == 4
    assert [c["name"] for c in second.changelog["changed"]] == ["First contact resolution"]
    assert [c["name"] for c in second.changelog["retired"]] == ["Average handling time"]
    fcr = second.entries.get(name="First contact resolution")
    assert set(fcr.training_notes) == {"en", "it"}
    assert fcr.audiences and fcr.goals
    assert Export.objects.filter(release=second, format="pdf", audience="agents").exists()
