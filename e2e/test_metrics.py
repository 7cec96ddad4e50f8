"""/metrics read by an independent parser (prometheus-client's), after actions whose counts the test knows (issue 18)."""

import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from hubkit import Hub, free_port, register, sign_in, verify

PASSWORD = "juniper-lattice-orbit-73"


def scrape(port):
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return response.text, samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_the_actions_taken():
    metrics_port = free_port()
    hub = Hub(args=["--metrics-port", str(metrics_port)]).start()
    try:
        _, before = scrape(metrics_port)
        register(hub, "mira", PASSWORD)
        verify(hub, "mira@example.com")
        for _ in range(3):
            sign_in(hub, "mira", PASSWORD)
        for attempt in range(4):
            wrong = hub.api("POST", "/sessions", json={"identifier": "mira", "password": f"not-it-{attempt}"})
            assert wrong.status_code == 401
        unknown = hub.api("POST", "/sessions", json={"identifier": "nobody", "password": PASSWORD})
        assert unknown.status_code == 401
        token = sign_in(hub, "mira", PASSWORD)
        assert hub.api("GET", "/account", token=token).status_code == 200
        assert hub.api("POST", "/devices/sign-out-all", token=token, json={"keep_current": False}).status_code in (200, 204)
        # The public port has no /metrics: it is on the loopback listener only.
        assert requests.get(hub.url + "/metrics", timeout=10).status_code == 404

        # Mail delivery and the revocation feed run in the background: give them a moment.
        deadline = time.time() + 10
        while True:
            text, samples = scrape(metrics_port)
            settled = value(samples, "gatehouse_mail_delivered_total") >= 2 \
                and value(samples, "gatehouse_revocations_applied_total") >= 1
            if settled or time.time() > deadline:
                break
            time.sleep(0.2)
        assert value(samples, "gatehouse_signins_total", method="password", outcome="success") == 4
        assert value(samples, "gatehouse_signins_total", method="password", outcome="failure") == 5
        assert value(samples, "gatehouse_http_requests_total", group="api_sessions", status="2xx") == 4
        assert value(samples, "gatehouse_http_requests_total", group="api_sessions", status="4xx") == 5
        assert value(samples, "gatehouse_http_requests_total", group="api_accounts", status="2xx") == 1
        assert value(samples, "gatehouse_http_requests_total", group="api_account", status="2xx") >= 2  # GET, verify
        assert value(samples, "gatehouse_http_request_duration_seconds_count", group="api_sessions") == 9
        # Every password check (sign-ins and the sign-up's hash) went through the hashing pool; none was refused.
        assert value(samples, "gatehouse_hash_wait_seconds_count") >= 10
        assert value(samples, "gatehouse_hash_rejected_total") == 0
        # The sign-up's confirmation and the new-sign-in mails were delivered by the outbox.
        assert value(samples, "gatehouse_mail_delivered_total") >= 2
        assert value(samples, "gatehouse_mail_delivery_failures_total") == 0
        # Sign-out-all went through the revocation log and was applied on this instance.
        assert value(samples, "gatehouse_revocations_applied_total") >= 1
        assert value(samples, "gatehouse_media_servers_online") == 0
        assert value(samples, "gatehouse_incidents_running") == 0
        assert value(samples, "gatehouse_signins_total", method="password", outcome="success") \
            - value(before, "gatehouse_signins_total", method="password", outcome="success") == 4
        for secret in (PASSWORD, token, "mira"):
            assert secret not in text
    finally:
        hub.stop()
