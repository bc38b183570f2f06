from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project package as an app of its own, only so that commands spanning every layer
    (``seed_demo``) live above the apps they orchestrate. It has no models."""

    name = "kpiworkshop"
    label = "kpiworkshop"
    verbose_name = "kpiworkshop"
