import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tempfile  # noqa: E402

from hubkit import Hub, SMTPSink  # noqa: E402


@pytest.fixture
def hub():
    server = Hub().start()
    yield server
    server.stop()


@pytest.fixture
def mail_hub():
    """A hub that sends its mail through a real SMTP server (e2e/support/smtp_sink.py, with STARTTLS and AUTH)."""
    root = tempfile.mkdtemp(prefix="gh-mail-")
    sink = SMTPSink(os.path.join(root, "inbox"), auth=("hub", "sink-password")).start()
    hub = Hub(env=sink.hub_env()).start()
    yield hub, sink
    hub.stop()
    sink.stop()
