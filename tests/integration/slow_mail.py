"""An e-mail backend for the worker-kill test: it marks that sending started, waits, then
writes the message to a file (one file per message). A worker killed while it waits has
started a send that never happened."""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        markers = Path(os.environ["KPIW_TEST_MAIL_MARKERS"])
        markers.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            (markers / f"started-{os.getpid()}-{message.to[0]}").touch()
        time.sleep(float(os.environ.get("KPIW_TEST_MAIL_DELAY", "0")))
        return super().send_messages(email_messages)
