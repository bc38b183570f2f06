"""``seed_demo``'s orchestration: each app's ``demo`` module in layer order (DESIGN.md §5).

accounts (organisation, users) → workshops (workshops, participants, join codes) → kpis
(proposals, comments, suggestions) → datasets (the synthetic contacts dataset, computable
definitions) → voting (rounds and votes) → mapping (goals, audiences, a
workshop in Map) → catalog (the published releases) → reviews (feedback, measured values, a
review due soon) → runsheet (the run-sheet of the workshop that votes live). Every step is
idempotent, so the whole is.
"""

from dataclasses import dataclass

from django.db import transaction

from kpiworkshop.accounts import demo as accounts_demo
from kpiworkshop.accounts.models import Organisation
from kpiworkshop.catalog import demo as catalog_demo
from kpiworkshop.datasets import demo as datasets_demo
from kpiworkshop.kpis import demo as kpis_demo
from kpiworkshop.mapping import demo as mapping_demo
from kpiworkshop.reviews import demo as reviews_demo
from kpiworkshop.runsheet import demo as runsheet_demo
from kpiworkshop.voting import demo as voting_demo
from kpiworkshop.workshops import demo as workshops_demo
from kpiworkshop.workshops.models import Invitation


@dataclass
class DemoResult:
    organisation: Organisation
    codes: list[Invitation]


@transaction.atomic
def seed() -> DemoResult:
    """Create or refresh the whole demo organisation."""
    organisation, users = accounts_demo.demo_seed()
    codes = workshops_demo.demo_seed(organisation=organisation, users=users)
    kpis_demo.demo_seed(organisation=organisation)
    datasets_demo.demo_seed(organisation=organisation)
    voting_demo.demo_seed(organisation=organisation)
    mapping_demo.demo_seed(organisation=organisation)
    codes += mapping_demo.demo_codes(organisation=organisation)
    catalog_demo.demo_seed(organisation=organisation)
    reviews_demo.demo_seed(organisation=organisation)
    runsheet_demo.demo_seed(organisation=organisation)
    return DemoResult(organisation=organisation, codes=codes)
