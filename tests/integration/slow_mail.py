"""An e-mail backend for the worker-kill test: it marks that sending started, waits, then
writes the message to a file of its own. A worker killed while it waits has started a send
that never happened."""

import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        markers = Path(os.environ["KPIW_TEST_MAIL_MARKERS"])
        markers.mkdir(parents=True, exist_ok=True)
        outbox = Path(settings.EMAIL_FILE_PATH)
        outbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            (markers / f"started-{os.getpid()}-{message.to[0]}").touch()
        time.sleep(float(os.environ.get("KPIW_TEST_MAIL_DELAY", "0")))
        for message in email_messages:
            # One file per message (Django's file backend shares a file per second).
            (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
