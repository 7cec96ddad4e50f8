import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hubkit import Hub  # noqa: E402


@pytest.fixture
def hub():
    server = Hub().start()
    yield server
    server.stop()
