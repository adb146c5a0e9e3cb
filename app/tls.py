"""TLS for wss://: the relay's server context and the app's three ways to trust a server.

The app trusts a relay (or a robot) in one of three ways, chosen per link:

- the system's CA store (a relay with a certificate from a public CA);
- a CA file the user chose (a lab's own CA);
- a pinned certificate: the SHA-256 fingerprint of the one certificate to
  accept (a self-signed relay). The relay prints its fingerprint at start.

Whatever goes wrong, the user gets one sentence that says why the connection
was refused and what to change (`explain`), never a bare OpenSSL code. A
pinned fingerprint is checked inside the TLS handshake, before the HTTP
upgrade request (which carries the token) is written to the socket.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from app.errors import ConfigError

#: Oldest protocol either side speaks; TLS 1.0/1.1 are broken and long gone.
MIN_VERSION = ssl.TLSVersion.TLSv1_2
_HEX = re.compile(r"[0-9a-f]{64}")

# OpenSSL's X509_V_ERR_* codes that a user can act on.
_UNTRUSTED = {18, 19, 20, 21}  # self-signed, self-signed in chain, unknown issuer
_EXPIRED, _NOT_YET_VALID = 10, 9
_NAME_MISMATCH = {62, 64}  # host name, IP address
#: Why a wss:// connection may be reset before it is up.
RESET_IN_HANDSHAKE = "connection reset in the TLS handshake (is the server plain ws://?)"
#: OpenSSL's reasons when the bytes that came back were not a TLS record.
_NOT_TLS_REASONS = {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST",
                    "PACKET_LENGTH_TOO_LONG"}


def normalize_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as 64 lowercase hex digits, however it was pasted.

    Accepts `AB:CD:..`, `sha256:...` and openssl's `SHA256 Fingerprint=...`;
    raises ConfigError for anything that is not 32 bytes of hex.
    """
    cleaned = text.lower().rpartition("=")[2].strip().removeprefix("sha256").lstrip(":/ ")
    cleaned = re.sub(r"[\s:]", "", cleaned)
    if not _HEX.fullmatch(cleaned):
        raise ConfigError(
            f"a pinned certificate is given as its SHA-256 fingerprint "
            f"(64 hex digits, colons allowed), not {text[:80]!r}"
        )
    return cleaned


def show_fingerprint(hex_digits: str) -> str:
    """`AB:CD:...`, the way browsers and `openssl x509 -fingerprint` print it."""
    return ":".join(hex_digits[i:i + 2] for i in range(0, len(hex_digits), 2)).upper()


def fingerprint_of_der(der: bytes) -> str:
    """SHA-256 fingerprint (64 hex digits) of a DER certificate."""
    return hashlib.sha256(der).hexdigest()


def fingerprint_of_file(path: str | Path) -> str:
    """SHA-256 fingerprint of the first certificate in a PEM file (to pin it)."""
    try:
        pem = Path(path).read_text(encoding="ascii")
        der = ssl.PEM_cert_to_DER_cert(pem[pem.index("-----BEGIN CERTIFICATE-----"):])
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read a PEM certificate from {path}: {exc}") from None
    return fingerprint_of_der(der)


# ---------------------------------------------------------------- server


def server_context(certfile: str | Path, keyfile: str | Path | None = None) -> ssl.SSLContext:
    """The relay's TLS context; raises ConfigError saying which file is wrong."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = MIN_VERSION
    try:
        ctx.load_cert_chain(certfile, keyfile)
    except FileNotFoundError as exc:
        raise ConfigError(f"TLS: no such file: {exc.filename}") from None
    except ssl.SSLError as exc:
        raise ConfigError(
            f"TLS: cannot use certificate {certfile} with key {keyfile or certfile}: "
            f"{exc.reason or exc} (is the key the certificate's, both PEM?)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"TLS: cannot read {exc.filename}: {exc.strerror}") from None
    return ctx


# ---------------------------------------------------------------- client


@dataclass(frozen=True)
class TlsOptions:
    """How the app decides to trust a wss:// server.

    `cafile`: trust servers whose certificate this CA (PEM) signed, instead of
    the system's CAs. `pin`: accept exactly the certificate with this SHA-256
    fingerprint; without `cafile` a pin replaces CA and host-name checks (it
    is for self-signed relays), with `cafile` both must pass.
    """

    cafile: str | None = None
    pin: str | None = None

    def __post_init__(self) -> None:
        if self.pin is not None:
            object.__setattr__(self, "pin", normalize_fingerprint(self.pin))

    @property
    def custom(self) -> bool:
        """True if the user chose a CA or a pin (meaningless on plain ws://)."""
        return bool(self.cafile or self.pin)


class PinMismatch(ssl.SSLCertVerificationError):
    """Raised in the TLS handshake when the server's certificate is not the pinned one."""

    def __init__(self, got: str, pinned: str) -> None:
        super().__init__(
            f"the server's certificate has SHA-256 fingerprint {show_fingerprint(got)}, "
            f"not the pinned {show_fingerprint(pinned)}"
        )
        self.got = got
        self.pinned = pinned


class _PinningContext(ssl.SSLContext):
    """An SSLContext whose connections compare the peer certificate with `pin`."""

    pin: str = ""


class _PinnedObject(ssl.SSLObject):
    """Checks the pin as the last step of the handshake, before any data goes out.

    asyncio drives TLS through `SSLObject.do_handshake`; an SSLError raised
    here fails the connection exactly like a failed CA check.
    """

    def do_handshake(self) -> None:
        super().do_handshake()
        pinned = getattr(self.context, "pin", "")
        der = self.getpeercert(binary_form=True)
        got = fingerprint_of_der(der) if der else ""
        if not hmac.compare_digest(got, pinned):
            raise PinMismatch(got, pinned)


def client_context(options: TlsOptions | None = None) -> ssl.SSLContext:
    """The TLS context for a wss:// link; raises ConfigError for an unreadable CA file."""
    opts = options or TlsOptions()
    ctx = _PinningContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = MIN_VERSION
    if opts.cafile:
        try:
            ctx.load_verify_locations(cafile=opts.cafile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"TLS: cannot use CA file {opts.cafile}: {exc}") from None
    elif opts.pin:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the pin below is the whole check
    else:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
    if opts.pin:
        ctx.pin = opts.pin
        ctx.sslobject_class = _PinnedObject
    return ctx


def explain(exc: BaseException, host: str = "") -> str | None:
    """Why a TLS connection was refused, as a sentence for the user; None if not TLS.

    The sentence starts with "TLS refused:" so the UI can tell it apart.
    """
    server = f"{host}'s" if host else "the server's"
    match exc:
        case PinMismatch():
            why = f"{exc.args[0]}; if the relay got a new certificate, pin the new fingerprint"
        case ssl.SSLCertVerificationError() if exc.verify_code in _UNTRUSTED:
            why = (
                f"{server} certificate is not signed by a CA this app trusts "
                f"({exc.verify_message}); choose the relay's CA file or pin its certificate"
            )
        case ssl.SSLCertVerificationError() if exc.verify_code == _EXPIRED:
            why = f"{server} certificate has expired; the relay needs a new one"
        case ssl.SSLCertVerificationError() if exc.verify_code == _NOT_YET_VALID:
            why = f"{server} certificate is not valid yet; check this computer's clock"
        case ssl.SSLCertVerificationError() if exc.verify_code in _NAME_MISMATCH:
            why = f"{server} certificate is for another name ({exc.verify_message})"
        case ssl.SSLCertVerificationError():
            why = f"{server} certificate was rejected: {exc.verify_message or exc}"
        case ssl.SSLError() if _not_tls(exc):
            why = "the server does not speak TLS; use ws:// for it, or enable TLS on the relay"
        case ssl.SSLError():
            why = f"the TLS handshake failed: {exc.reason or exc}"
        case _:
            return None
    return f"TLS refused: {why}"


def _not_tls(exc: ssl.SSLError) -> bool:
    """The answer to our ClientHello was not TLS (an HTTP server, say)."""
    return exc.reason in _NOT_TLS_REASONS


def is_fatal(exc: BaseException) -> bool:
    """Certificate problems and a server without TLS do not fix themselves by retrying."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return True
    return isinstance(exc, ssl.SSLError) and _not_tls(exc)
