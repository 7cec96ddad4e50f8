"""A real hub and a real media server (issue 8): claim, browse, stream with ranges, share, and revocations that
reach the media server within a second."""

import os
import random
import statistics
import subprocess
import tempfile
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hubkit import Hub, free_port, gatehouse_bin, register, sign_in

PASSWORD = "glacier-violet-anchor-19"


class Media:
    def __init__(self, hub, library):
        self.data = tempfile.mkdtemp(prefix="gh-media-")
        self.port = free_port()
        self.metrics_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [gatehouse_bin(), "media", "--data", self.data, "--port", str(self.port), "--hub", hub.url,
                "--public-url", self.url, "--name", "den", "--metrics-port", str(self.metrics_port)]
        for name, path in library.items():
            args += ["--library", f"{name}={path}"]
        self.log = open(os.path.join(self.data, "media.log"), "ab")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                status = requests.get(self.url + "/api/status", timeout=1).json()
                if status.get("claim_code"):
                    self.code = status["claim_code"]
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError("media server did not show a claim code")

    def status(self):
        return requests.get(self.url + "/api/status", timeout=5).json()

    def get(self, path, token, **kwargs):
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"Bearer {token}"
        return requests.get(self.url + path, headers=headers, timeout=30, **kwargs)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def make_library():
    root = tempfile.mkdtemp(prefix="gh-library-")
    files = {}
    for section, names in {"Movies": ["Big Buck.mp4", "Night/Walk.webm"], "Music": ["song.mp3", "album/track.flac"]}.items():
        for name in names:
            path = os.path.join(root, section, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = os.urandom(random.randint(200_000, 900_000))
            with open(path, "wb") as f:
                f.write(data)
            files[(section, name)] = data
    outside = os.path.join(root, "secret.txt")
    with open(outside, "w") as f:
        f.write("not for the media server")
    os.symlink(outside, os.path.join(root, "Music", "link-out.mp3"))
    return root, files


@pytest.fixture
def setup():
    hub = Hub(args=["--metrics-port", str(free_port())]).start()
    root, files = make_library()
    media = Media(hub, {"Movies": os.path.join(root, "Movies"), "Music": os.path.join(root, "Music")})
    yield hub, media, files
    media.stop()
    hub.stop()


def scrape(url):
    samples = {}
    for family in text_string_to_metric_families(requests.get(url, timeout=10).text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def token_for(hub, device_token, server_id):
    response = hub.api("POST", f"/servers/{server_id}/token", token=device_token)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def wait_claimed(media):
    deadline = time.time() + 30
    while time.time() < deadline:
        status = media.status()
        # Claimed, and hearing revocations: tokens issued before the stream's first `hello` would be refused.
        if status["claimed"] and status.get("revocations_live"):
            return status["server_id"]
        time.sleep(0.2)
    raise AssertionError("the media server did not learn it was claimed")


def time_still_served(media, token, limit):
    """Polls the media server with a token just revoked on the hub until it is refused. Returns how long after the
    start the last request that was still served had been sent (0 when the first was refused), and fails at once if
    one sent `limit` seconds or more after the start was served. Timed by when requests were sent, not answered:
    the revocation had not reached the server when a served request was sent, so a stall of this test (or a slow
    answer) on a loaded machine cannot count as revocation delay, while a late revocation still does."""
    start = time.perf_counter()
    served = 0.0
    while True:
        sent = time.perf_counter() - start
        if media.get("/api/library/sections", token).status_code != 200:
            return served
        assert sent < limit, f"the media server still served a token {sent:.2f} s after its revocation"
        served = sent
        time.sleep(0.01)


def test_claim_browse_stream_share(setup):
    hub, media, files = setup
    register(hub, "otto", PASSWORD)
    register(hub, "fay", PASSWORD)
    owner = sign_in(hub, "otto", PASSWORD, "owner-tv")
    friend = sign_in(hub, "fay", PASSWORD, "friend-phone")
    claimed = hub.api("POST", "/servers/claim", token=owner, json={"code": media.code})
    assert claimed.status_code == 201, claimed.text
    server_id = wait_claimed(media)
    assert server_id == claimed.json()["id"]
    token = token_for(hub, owner, server_id)

    sections = media.get("/api/library/sections", token).json()["sections"]
    assert sorted(s["name"] for s in sections) == ["Movies", "Music"]
    items = media.get("/api/library/sections/Movies/items", token).json()["items"]
    assert sorted(i["path"] for i in items) == ["Big Buck.mp4", "Night/Walk.webm"]
    item = next(i for i in items if i["path"] == "Big Buck.mp4")
    data = files[("Movies", "Big Buck.mp4")]
    assert item["size"] == len(data) and item["content_type"] == "video/mp4"
    whole = media.get(f"/api/library/items/{item['id']}/stream", token)
    assert whole.status_code == 200 and whole.content == data
    for start, end in [(0, 0), (1000, 65_535), (len(data) - 10, len(data) - 1), (123_456, 199_999)]:
        part = media.get(f"/api/library/items/{item['id']}/stream", token, headers={"Range": f"bytes={start}-{end}"})
        assert part.status_code == 206
        assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
        assert part.content == data[start:end + 1]
    tail = media.get(f"/api/library/items/{item['id']}/stream", token, headers={"Range": "bytes=-100"})
    assert tail.content == data[-100:]
    assert media.get(f"/api/library/items/{item['id']}/stream", token,
                     headers={"Range": f"bytes={len(data)}-"}).status_code == 416
    music = media.get("/api/library/sections/Music/items", token).json()["items"]
    assert "link-out.mp3" not in [i["path"] for i in music], "a symlink out of the library is never served"

    # Share Music with a friend, who accepts (issue 13): Music streams, Movies is 403.
    assert hub.api("POST", f"/servers/{server_id}/shares", token=owner,
                   json={"account": "fay", "sections": ["Music"]}).status_code == 204
    assert hub.api("POST", f"/servers/{server_id}/accept", token=friend).status_code == 204
    friend_token = token_for(hub, friend, server_id)
    song = next(i for i in media.get("/api/library/sections/Music/items", friend_token).json()["items"]
                if i["path"] == "song.mp3")
    streamed = media.get(f"/api/library/items/{song['id']}/stream", friend_token)
    assert streamed.status_code == 200 and streamed.content == files[("Music", "song.mp3")]
    assert media.get("/api/library/sections/Movies/items", friend_token).status_code == 403
    assert media.get(f"/api/library/items/{item['id']}/stream", friend_token).status_code == 403
    assert [s["name"] for s in media.get("/api/library/sections", friend_token).json()["sections"]] == ["Music"]
    # A device credential is refused by the media server.
    assert media.get("/api/library/sections", friend).status_code == 401

    # The media server's own metrics (on its loopback metrics port, not the media port), read by an independent
    # parser: 7 streams started (the whole file, 4 ranges, the tail, the friend's song), their exact bytes, and the
    # friend's refused stream; the hub counts the one media server holding its revocation stream.
    assert requests.get(media.url + "/metrics", timeout=5).status_code == 404
    media_samples = scrape(f"http://127.0.0.1:{media.metrics_port}/metrics")
    assert media_samples[("gatehouse_media_streams_total", ())] == 7
    ranges = sum(end - start + 1 for start, end in [(0, 0), (1000, 65_535), (len(data) - 10, len(data) - 1),
                                                     (123_456, 199_999)])
    expected_bytes = len(data) + ranges + 100 + len(files[("Music", "song.mp3")])
    assert media_samples[("gatehouse_media_stream_bytes_total", ())] == expected_bytes
    assert media_samples[("gatehouse_media_refused_total", ())] == 1
    assert media_samples[("gatehouse_media_library_items", ())] == 4
    deadline = time.time() + 15  # the stream opens once the server has learnt it is claimed
    while scrape(f"http://127.0.0.1:{hub.args[1]}/metrics")[("gatehouse_media_servers_online", ())] != 1:
        assert time.time() < deadline, "the hub never counted the media server's revocation stream"
        time.sleep(0.2)


def test_revocation_reaches_the_media_server_within_a_second(setup):
    hub, media, files = setup
    register(hub, "otto", PASSWORD)
    owner = sign_in(hub, "otto", PASSWORD, "owner-tv")
    hub.api("POST", "/servers/claim", token=owner, json={"code": media.code})
    server_id = wait_claimed(media)
    time.sleep(1.5)  # let the media server open its revocation stream and pass the hello second
    delays = []
    for trial in range(50):
        device = sign_in(hub, "otto", PASSWORD, f"device-{trial}", client=f"client-{trial}")
        token = token_for(hub, device, server_id)
        deadline = time.time() + 3
        while media.get("/api/library/sections", token).status_code != 200 and time.time() < deadline:
            time.sleep(0.05)  # a token minted in the same second as the stream's hello waits a moment
        check = media.get("/api/library/sections", token)
        assert check.status_code == 200, (trial, check.text)
        if trial % 2 == 0:
            device_id = next(d["id"] for d in hub.api("GET", "/devices", token=device).json() if d["current"])
            answered = hub.api("DELETE", f"/devices/{device_id}", token=device)
        else:
            answered = hub.api("POST", "/devices/sign-out-all", token=device, json={"keep_current": False})
        assert answered.status_code in (200, 204)
        delays.append(time_still_served(media, token, limit=5))
    delays.sort()
    p99 = delays[int(len(delays) * 0.99) - 1]
    print(f"revocation delay over {len(delays)} trials: median {statistics.median(delays) * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms")
    assert p99 <= 1.0
    # The owner's server stays claimed and reachable after all of that.
    assert media.status()["claimed"] is True
    fresh = sign_in(hub, "otto", PASSWORD, "after")
    assert media.get("/api/library/sections", token_for(hub, fresh, server_id)).status_code == 200


def test_share_by_consent_and_unshare_on_live_media_servers(setup):
    """Issue 13, shares by consent, against two real media servers: a pending share gives the friend no media token;
    once accepted the live server streams to them; unshare makes that server refuse the friend within a second,
    while the owner on it and the same friend on the owner's other server are unaffected."""
    hub, media, files = setup
    root, _ = make_library()
    other = Media(hub, {"Music": os.path.join(root, "Music")})
    try:
        register(hub, "otto", PASSWORD)
        register(hub, "fay", PASSWORD)
        owner = sign_in(hub, "otto", PASSWORD, "owner-tv")
        friend = sign_in(hub, "fay", PASSWORD, "friend-phone")
        assert hub.api("POST", "/servers/claim", token=owner, json={"code": media.code}).status_code == 201
        server_id = wait_claimed(media)
        assert hub.api("POST", "/servers/claim", token=owner, json={"code": other.code}).status_code == 201
        other_id = wait_claimed(other)

        for sid in (server_id, other_id):
            assert hub.api("POST", f"/servers/{sid}/shares", token=owner,
                           json={"account": "fay", "sections": ["Music"]}).status_code == 204
        # Pending: no media token for the friend.
        refused = hub.api("POST", f"/servers/{server_id}/token", token=friend)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "no_access"
        pending = hub.api("GET", "/servers", token=friend).json()["pending"]
        assert sorted(p["server_id"] for p in pending) == sorted([server_id, other_id])
        for sid in (server_id, other_id):
            assert hub.api("POST", f"/servers/{sid}/accept", token=friend).status_code == 204

        time.sleep(1.5)  # both servers hold their revocation streams, past the hello second
        friend_token = token_for(hub, friend, server_id)
        friend_other = token_for(hub, friend, other_id)
        owner_token = token_for(hub, owner, server_id)
        song = next(i for i in media.get("/api/library/sections/Music/items", friend_token).json()["items"]
                    if i["path"] == "song.mp3")
        streamed = media.get(f"/api/library/items/{song['id']}/stream", friend_token)
        assert streamed.status_code == 200 and streamed.content == files[("Music", "song.mp3")]
        assert other.get("/api/library/sections", friend_other).status_code == 200

        # Unsharing from someone who never had a share changes nothing anywhere.
        register(hub, "gil", PASSWORD)
        for _ in range(5):
            assert hub.api("DELETE", f"/servers/{server_id}/shares/gil", token=owner).status_code == 204
        time.sleep(0.5)
        assert media.get("/api/library/sections", friend_token).status_code == 200

        answered = hub.api("DELETE", f"/servers/{server_id}/shares/fay", token=owner)
        assert answered.status_code == 204
        delay = time_still_served(media, friend_token, limit=1.0)
        print(f"unshare reached the media server in {delay * 1000:.0f} ms")
        refused = media.get(f"/api/library/items/{song['id']}/stream", friend_token)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
        # The owner on this server, and the friend on the other server, are unaffected.
        assert media.get("/api/library/sections", owner_token).status_code == 200
        time.sleep(0.5)
        assert other.get("/api/library/sections", friend_other).status_code == 200
        assert other.get("/api/library/sections", token_for(hub, friend, other_id)).status_code == 200
        assert hub.api("POST", f"/servers/{server_id}/token", token=friend).status_code == 403
        # The friend's hub session is untouched too.
        assert hub.api("GET", "/account", token=friend).status_code == 200
    finally:
        other.stop()
