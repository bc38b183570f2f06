"""Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process (settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiworkshop.settings")

app = Celery("kpiworkshop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Workers and beat record heartbeats for /healthz (the worker_ready receiver lives there).
import kpiworkshop.core.heartbeat  # noqa: E402, F401
