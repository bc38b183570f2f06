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


def test_the_demo_releases_export_their_computable_kpis_as_dbt_metrics(db):
    import yaml

    from kpiworkshop.catalog.exports.datastack import metric_name, render_dbt

    seed()
    release = CatalogRelease.objects.get(major=2)
    computed = {e.name for e in release.entries.all() if "computable" in e.definition}
    assert computed == {"Chatbot escalation to a person", "First contact resolution"}
    data = render_dbt(release).decode()
    names = {m["name"] for m in yaml.safe_load(data)["metrics"]}
    for entry in release.entries.all():
        uid = metric_name(str(entry.kpi_uid))
        assert (uid in names) == (entry.name in computed)
    enps = release.entries.get(name="Employee Net Promoter Score")
    assert f"{metric_name(str(enps.kpi_uid))}  Employee Net Promoter Score: no computable" in data
