"""Text kept as real files (issue 17): the OpenAPI document is valid OpenAPI 3.1, and the hub serves the embedded
files byte for byte, with the same types and caching as before the move."""

import os

import requests
import yaml
from openapi_spec_validator import validate

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EMBEDDED = os.path.join(ROOT, "Sources", "GatehouseHub", "Embedded")


def embedded(path):
    """A file's text as the EmbedText plugin embeds it: its bytes less one final newline."""
    with open(os.path.join(EMBEDDED, path), "rb") as f:
        data = f.read()
    return data[:-1] if data.endswith(b"\n") else data


def test_openapi_document_is_valid_openapi_3_1():
    with open(os.path.join(EMBEDDED, "openapi.yaml"), encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on any violation of the OpenAPI 3.1 schema


def test_hub_serves_the_embedded_files_byte_for_byte(hub):
    served = {
        "/api/openapi.yaml": ("openapi.yaml", "application/yaml; charset=utf-8", None),
        "/static/app.css": ("static/app.css", "text/css; charset=utf-8", "public, max-age=3600"),
        "/static/app.js": ("static/app.js", "text/javascript; charset=utf-8", "public, max-age=3600"),
        "/static/passkeys.js": ("static/passkeys.js", "text/javascript; charset=utf-8", "public, max-age=3600"),
    }
    for url, (path, content_type, cache_control) in served.items():
        response = requests.get(hub.url + url, timeout=10)
        assert response.status_code == 200, url
        assert response.content == embedded(path), url
        assert response.headers["Content-Type"] == content_type, url
        assert response.headers.get("Cache-Control") == cache_control, url
