#!/usr/bin/env python3
"""Media server streaming and token-verification benchmark.

Streams one large file over loopback from the Gatehouse media server and, in the same run, from Python's
http.server and nginx (when installed) serving the same file; prints MB/s for each and the ratios. Then measures
the per-request cost of media token verification (`gatehouse media --bench-verify N`).

The media server runs in its offline test mode (`--offline-key`): it trusts a key pair generated here for this
run only, so no hub is needed. Production never enables that mode.

Usage:
    GATEHOUSE_BIN=.build/release/gatehouse python3 Benchmarks/media_stream_bench.py \
        [--size-mib 1024] [--runs 3] [--verify 200000]

Needs: curl, pynacl (pip), optionally nginx (Debian nginx-light). Load all servers equally: run on an idle machine.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import nacl.signing


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url, headers=None, timeout=60.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.read()
        except Exception as error:  # still starting
            last = error
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer: {last}")


def curl_speed(url, headers, expected_size):
    """Downloads url to /dev/null with curl; returns MB/s (10^6 bytes per second)."""
    command = ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download} %{size_download} %{http_code}"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout.split()
    speed, size, code = float(output[0]), int(output[1]), output[2]
    if code != "200" or size != expected_size:
        raise RuntimeError(f"{url}: status {code}, {size} bytes (expected {expected_size})")
    return speed / 1e6


def measure(name, url, headers, size, runs):
    curl_speed(url, headers, size)  # warm-up: page cache and connection paths
    speeds = [curl_speed(url, headers, size) for _ in range(runs)]
    median = statistics.median(speeds)
    print(f"  {name:<22} median {median:8.1f} MB/s   runs: {', '.join(f'{s:.0f}' for s in speeds)}", flush=True)
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--verify", type=int, default=200000, help="token verifications to time (0 to skip)")
    args = parser.parse_args()
    binary = os.environ.get("GATEHOUSE_BIN") or shutil.which("gatehouse")
    if not binary:
        sys.exit("set GATEHOUSE_BIN to the gatehouse executable")

    work = tempfile.mkdtemp(prefix="gatehouse-media-bench-")
    os.chmod(work, 0o755)
    library = os.path.join(work, "bench")
    os.makedirs(library)
    os.chmod(library, 0o755)
    path = os.path.join(library, "big.mp4")
    size = args.size_mib * 1024 * 1024
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as handle:
        for _ in range(args.size_mib):
            handle.write(block)
    os.chmod(path, 0o644)

    signing_key = nacl.signing.SigningKey.generate()
    now = int(time.time())
    payload = {"typ": "media", "kid": "s1", "aud": "bench-server", "sub": "acct-bench", "dev": "dev-bench",
               "iat": now, "exp": now + 3000, "jti": "bench", "own": True, "sec": []}
    signed = "v1." + b64url(json.dumps(payload, separators=(",", ":")).encode())
    token = signed + "." + b64url(signing_key.sign(signed.encode()).signature)
    auth = {"Authorization": f"Bearer {token}"}

    processes = []
    results = {}
    try:
        port = free_port()
        ours = subprocess.Popen(
            [binary, "media", "--library", f"bench={library}", "--data", os.path.join(work, "data"),
             "--host", "127.0.0.1", "--port", str(port), "--rescan-interval", "3600",
             "--offline-key", b64url(bytes(signing_key.verify_key)), "--offline-server-id", "bench-server"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(ours)
        item_id = None
        deadline = time.time() + 60
        while item_id is None and time.time() < deadline:
            listing = json.loads(wait_http(f"http://127.0.0.1:{port}/api/library/sections/bench/items", auth))
            if listing["items"]:
                item_id = listing["items"][0]["id"]
            else:
                time.sleep(0.2)
        if item_id is None:
            sys.exit("the media server never indexed the file")

        python_port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "http.server", str(python_port), "--bind", "127.0.0.1", "--directory", library],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_http(f"http://127.0.0.1:{python_port}/")

        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        nginx_port = None
        if nginx:
            nginx_port = free_port()
            conf = os.path.join(work, "nginx.conf")
            user = "user root;\n" if os.geteuid() == 0 else ""
            with open(conf, "w") as handle:
                handle.write(f"""{user}worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {work}/nginx-tmp;
    proxy_temp_path {work}/nginx-tmp;
    fastcgi_temp_path {work}/nginx-tmp;
    uwsgi_temp_path {work}/nginx-tmp;
    scgi_temp_path {work}/nginx-tmp;
    server {{
        listen 127.0.0.1:{nginx_port};
        location / {{ root {work}; }}
    }}
}}
""")
            processes.append(subprocess.Popen([nginx, "-c", conf, "-p", work],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_http(f"http://127.0.0.1:{nginx_port}/bench/big.mp4", {"Range": "bytes=0-0"})

        print(f"Streaming {args.size_mib} MiB over loopback with curl, {args.runs} runs each after a warm-up:")
        results["gatehouse media"] = measure(
            "gatehouse media", f"http://127.0.0.1:{port}/api/library/items/{item_id}/stream", auth, size, args.runs)
        results["python http.server"] = measure(
            "python http.server", f"http://127.0.0.1:{python_port}/big.mp4", {}, size, args.runs)
        if nginx_port:
            results["nginx (sendfile)"] = measure(
                "nginx (sendfile)", f"http://127.0.0.1:{nginx_port}/bench/big.mp4", {}, size, args.runs)
        ours_speed = results["gatehouse media"]
        for name, speed in results.items():
            if name != "gatehouse media":
                print(f"  ratio gatehouse / {name}: {ours_speed / speed:.2f}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)

    if args.verify > 0:
        print(f"Token verification ({args.verify} iterations):")
        output = subprocess.run([binary, "media", "--bench-verify", str(args.verify)],
                                check=True, capture_output=True, text=True).stdout
        for line in output.strip().splitlines():
            print("  " + line)


if __name__ == "__main__":
    main()
