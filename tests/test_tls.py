"""wss:// end to end: the relay serves TLS, the app trusts it by CA file or by pin,
and every refusal tells the user why in one sentence.

Certificates are made for each test session with the `openssl` command in a
temporary folder; no key is ever stored in the repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MS, free_port
from relay_helpers import AUTH, hello, until
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app import protocol as p
from app import tls
from app.errors import ConfigError
from app.link import Link, LinkState
from app.relay import Relay, serve_relay

ROVER = AUTH.robots["rover"]
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
LEAF_EXT = (
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
    "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
)


def _openssl(*args: str | Path) -> None:
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"openssl {' '.join(map(str, args))} failed:\n{result.stderr}"


@dataclass(frozen=True)
class Certs:
    """A test CA, a relay certificate it signed, and one signed by nobody we trust."""

    ca: Path
    cert: Path  # for 127.0.0.1 and localhost, signed by `ca`
    key: Path
    named: Path  # for "relay.example" only, signed by `ca`
    named_key: Path
    stranger: Path  # self-signed, for 127.0.0.1
    stranger_key: Path


def _leaf(folder: Path, name: str, alt_names: str, ca: Path, ca_key: Path) -> tuple[Path, Path]:
    key, csr, cert, ext = (folder / f"{name}.{suffix}" for suffix in ("key", "csr", "pem", "ext"))
    ext.write_text(f"subjectAltName={alt_names}\n{LEAF_EXT}")
    _openssl("req", *EC_KEY, "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
    _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
             "-days", "2", "-out", cert, "-extfile", ext)
    return cert, key


def _self_signed(folder: Path, name: str, ca: bool) -> tuple[Path, Path]:
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    ext = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign"] if ca else ["-addext", "subjectAltName=IP:127.0.0.1"]
    _openssl("req", "-x509", *EC_KEY, "-keyout", key, "-out", cert, "-days", "2",
             "-subj", f"/CN={name}", *ext)
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    folder = tmp_path_factory.mktemp("tls")
    ca, ca_key = _self_signed(folder, "RoboDeck Test CA", ca=True)
    cert, key = _leaf(folder, "relay", "IP:127.0.0.1,DNS:localhost", ca, ca_key)
    named, named_key = _leaf(folder, "named", "DNS:relay.example", ca, ca_key)
    stranger, stranger_key = _self_signed(folder, "stranger", ca=False)
    return Certs(ca, cert, key, named, named_key, stranger, stranger_key)


@pytest.fixture
async def wss_relay(certs: Certs) -> AsyncIterator[Relay]:
    async with serve_relay(AUTH, ssl=tls.server_context(certs.cert, certs.key)) as relay:
        yield relay


async def _robot(url: str, context: ssl.SSLContext) -> ClientConnection:
    ws = await connect(
        f"{url}/robot/rover?token={ROVER.robot}", ssl=context, compression=None,
        subprotocols=[Subprotocol(p.SUBPROTOCOL)], max_size=p.MAX_MESSAGE_BYTES,
    )
    await ws.send(hello())
    return ws


@dataclass
class Outcome:
    """What a link did within the wait: connected, or gave up (and why), and its events."""

    connected: bool
    refusal: str | None
    events: list[str]


async def _try_link(url: str, options: tls.TlsOptions | None, wait: float = 2000 * MS) -> Outcome:
    """Run a link until it connects or gives up (or `wait` passes), then close it."""
    link = Link(url, tls=options, open_timeout=1000 * MS)
    events: list[str] = []
    refusals: list[str] = []
    link.event.connect(events.append)
    link.refused.connect(refusals.append)
    running = asyncio.create_task(link.run())
    try:
        await _eventually(lambda: link.state is LinkState.CONNECTED or running.done(), wait)
        connected = link.state is LinkState.CONNECTED
    except TimeoutError:
        connected = False
    finally:
        await link.close()
        await asyncio.gather(running, return_exceptions=True)
    assert refusals == ([link.refusal] if link.refusal else [])
    return Outcome(connected, link.refusal, events)


async def _eventually(condition: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(5 * MS)


def _operator_url(relay_url: str) -> str:
    return f"{relay_url}/client/rover?token={ROVER.operator}"


# ---------------------------------------------------------------- trusted


async def test_app_drives_a_robot_through_a_wss_relay_trusted_by_ca_file(
    wss_relay: Relay, certs: Certs
) -> None:
    assert wss_relay.url.startswith("wss://")
    robot = await _robot(wss_relay.url, tls.client_context(tls.TlsOptions(cafile=str(certs.ca))))
    link = Link(_operator_url(wss_relay.url), tls=tls.TlsOptions(cafile=str(certs.ca)))
    running = asyncio.create_task(link.run())
    try:
        await _eventually(lambda: link.in_control and link.hello is not None, 3000 * MS)
        seq = link.send_drive(30, -30)
        assert await until(robot, "drive") == {"t": "drive", "l": 30, "r": -30, "seq": seq}
    finally:
        await link.close()
        await asyncio.gather(running, return_exceptions=True)
        await robot.close()


async def test_a_pinned_certificate_is_trusted_without_any_ca(wss_relay: Relay, certs: Certs) -> None:
    pin = tls.show_fingerprint(tls.fingerprint_of_file(certs.cert))  # as the relay prints it
    outcome = await _try_link(_operator_url(wss_relay.url), tls.TlsOptions(pin=pin))
    assert outcome.connected and outcome.refusal is None


async def test_a_self_signed_relay_is_trusted_by_its_pin(certs: Certs) -> None:
    context = tls.server_context(certs.stranger, certs.stranger_key)
    async with serve_relay(AUTH, ssl=context) as relay:
        pin = tls.fingerprint_of_file(certs.stranger)
        outcome = await _try_link(_operator_url(relay.url), tls.TlsOptions(pin=pin))
    assert outcome.connected


# ---------------------------------------------------------------- refused, and why


async def test_an_unknown_ca_is_refused_with_what_to_do(wss_relay: Relay) -> None:
    started = time.perf_counter()
    outcome = await _try_link(_operator_url(wss_relay.url), None)  # system CAs only
    assert not outcome.connected
    assert outcome.refusal is not None
    assert outcome.refusal.startswith("TLS refused: ")
    assert "not signed by a CA this app trusts" in outcome.refusal
    assert "CA file or pin" in outcome.refusal
    assert f"giving up: {outcome.refusal}" in outcome.events
    assert time.perf_counter() - started < 1500 * MS, "a certificate problem is not retried"


async def test_a_certificate_for_another_name_is_refused(certs: Certs) -> None:
    context = tls.server_context(certs.named, certs.named_key)
    async with serve_relay(AUTH, ssl=context) as relay:
        outcome = await _try_link(_operator_url(relay.url), tls.TlsOptions(cafile=str(certs.ca)))
    assert outcome.refusal is not None
    assert "certificate is for another name" in outcome.refusal
    assert "127.0.0.1" in outcome.refusal


async def test_a_wrong_pin_is_refused_before_the_token_leaves_the_app(certs: Certs) -> None:
    """The pin is checked inside the TLS handshake: the server never sees the HTTP request."""
    received = bytearray()

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ssl.SSLError, ConnectionError):
            received.extend(await reader.read(4096))
        writer.close()

    server = await asyncio.start_server(
        record, "127.0.0.1", 0, ssl=tls.server_context(certs.cert, certs.key)
    )
    port = server.sockets[0].getsockname()[1]
    try:
        pin = "00" * 32
        outcome = await _try_link(f"wss://127.0.0.1:{port}/client/rover?token=SECRET", tls.TlsOptions(pin=pin))
    finally:
        server.close()
        await server.wait_closed()
    assert outcome.refusal is not None
    assert "not the pinned 00:00:00" in outcome.refusal
    assert tls.show_fingerprint(tls.fingerprint_of_file(certs.cert)) in outcome.refusal
    assert b"SECRET" not in received and received == b""


async def test_wss_to_a_plain_relay_is_retried_and_says_it_may_be_plain_ws() -> None:
    async with serve_relay(AUTH) as relay:
        url = _operator_url(relay.url.replace("ws://", "wss://"))
        outcome = await _try_link(url, None, wait=600 * MS)
    assert not outcome.connected and outcome.refusal is None
    assert any("is the server plain ws://?" in e for e in outcome.events), outcome.events


async def test_wss_to_a_plain_http_server_says_it_does_not_speak_tls() -> None:
    async def answer_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        outcome = await _try_link(f"wss://127.0.0.1:{port}/client/rover", None)
    finally:
        server.close()
        await server.wait_closed()
    assert outcome.refusal is not None
    assert "does not speak TLS; use ws://" in outcome.refusal


async def test_ws_to_a_tls_relay_is_retried_and_says_it_may_need_wss(wss_relay: Relay) -> None:
    url = _operator_url(wss_relay.url.replace("wss://", "ws://"))
    outcome = await _try_link(url, None, wait=600 * MS)
    assert not outcome.connected and outcome.refusal is None  # retried: the relay may be mid-restart
    assert any("does it need wss://?" in e for e in outcome.events), outcome.events


async def test_a_pin_with_a_ws_url_is_refused_as_never_silently_insecure() -> None:
    outcome = await _try_link("ws://127.0.0.1:9/client/rover", tls.TlsOptions(pin="ab" * 32))
    assert outcome.refusal is not None
    assert "the URL is ws:// (unencrypted); use wss://" in outcome.refusal


async def test_an_unreadable_ca_file_is_refused(tmp_path: Path) -> None:
    outcome = await _try_link("wss://127.0.0.1:9/client/rover", tls.TlsOptions(cafile=str(tmp_path / "nope.pem")))
    assert outcome.refusal is not None and "cannot use CA file" in outcome.refusal


@pytest.mark.parametrize("text", ["", "abc", "zz" * 32, "ab" * 31])
def test_a_malformed_pin_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="SHA-256 fingerprint"):
        tls.TlsOptions(pin=text)


def test_pins_are_accepted_as_printed_by_openssl_or_browsers() -> None:
    hex_digits = "0a" * 32
    for text in (hex_digits, hex_digits.upper(), tls.show_fingerprint(hex_digits), f"sha256:{hex_digits}",
                 f"SHA256 Fingerprint={tls.show_fingerprint(hex_digits)}"):
        assert tls.TlsOptions(pin=text).pin == hex_digits


# ---------------------------------------------------------------- the relay's command line


def test_relay_refuses_a_key_that_is_not_the_certificates(certs: Certs) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.relay", "--open", "--port", "0",
         "--certfile", str(certs.cert), "--keyfile", str(certs.stranger_key)],
        capture_output=True, text=True, timeout=20, check=False,
    )
    assert result.returncode == 2
    assert "cannot use certificate" in result.stderr


async def test_relay_command_serves_wss_and_prints_the_pin(certs: Certs) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.relay", "--open", "--port", str(port),
        "--certfile", str(certs.cert), "--keyfile", str(certs.key),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        log = b""
        async with asyncio.timeout(10):
            while b"listening on" not in log:
                log += await proc.stderr.readline()
        printed = log.decode().split("fingerprint (for pinning): ")[1].split()[0]
        assert tls.normalize_fingerprint(printed) == tls.fingerprint_of_file(certs.cert)
        outcome = await _try_link(f"wss://127.0.0.1:{port}/client/rover", tls.TlsOptions(pin=printed))
        assert outcome.connected
    finally:
        proc.terminate()
        await proc.wait()
