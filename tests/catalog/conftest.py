import datetime

from kpiworkshop.catalog import services
from tests.approval.conftest import (  # noqa: F401 (fixtures and helpers the catalogue tests share)
    NOTES,
    _media_in_tmp,
    _outbox_in_the_test_thread,
    approve_all,
    approve_workshop,
    approvers,
    make_proposal,
    shortlist,
)


def publish(workshop, facilitator, language="en", **kwargs):
    return services.release_publish(
        actor=facilitator,
        workshop=workshop,
        language=language,
        effective_date=kwargs.pop("effective_date", datetime.date(2026, 1, 1)),
        **kwargs,
    )
