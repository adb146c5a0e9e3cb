"""Connection profiles and window preferences, kept in one JSON file.

The file lives in the platform's config folder (ROBODECK_CONFIG_DIR
overrides it, which is how tests and portable installs keep it elsewhere).
A settings file must never stop the app from starting: a missing file gives
defaults, and an unreadable one is moved aside to `.bak` (so the user's data
is not lost) and replaced by defaults. Saving writes a temporary file and
renames it over the old one, so a crash mid-save leaves the old file intact.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import platformdirs

from app.drive import DEFAULT_SPEED, SPEED_MAX, SPEED_MIN
from app.errors import ConfigError
from app.tls import TlsOptions, normalize_fingerprint

log = logging.getLogger(__name__)

APP_NAME = "robodeck"
SETTINGS_FILE = "settings.json"
SIMULATOR = "Simulator"
ProfileKind = Literal["simulator", "direct", "relay"]
KINDS: tuple[str, ...] = get_args(ProfileKind)
T = TypeVar("T")


def config_dir() -> Path:
    """Folder of settings.json; ROBODECK_CONFIG_DIR overrides the platform's."""
    env = os.environ.get("ROBODECK_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Folder of the app's data; ROBODECK_DATA_DIR overrides the platform's."""
    env = os.environ.get("ROBODECK_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def recordings_dir() -> Path:
    """Where recordings go unless the user picks a file; created on demand."""
    path = data_dir() / "recordings"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Profile:
    """How to reach one robot: the built-in simulator, directly, or via a relay."""

    name: str
    kind: ProfileKind
    url: str = ""
    robot_id: str = ""
    token: str = ""
    #: wss:// only: trust this CA (PEM file) instead of the system's CAs.
    ca_file: str = ""
    #: wss:// only: accept exactly the certificate with this SHA-256 fingerprint.
    pin: str = ""

    def tls_options(self) -> TlsOptions | None:
        """The TLS trust the user chose for this profile, or None for the defaults."""
        if not (self.ca_file or self.pin):
            return None
        return TlsOptions(cafile=self.ca_file or None, pin=self.pin or None)

    def link_url(self, sim_url: str | None = None, operator: str = "") -> str:
        """The WebSocket URL the link opens; credentials go in the query.

        `sim_url` is where the built-in simulator listens (kind "simulator");
        `operator` is the display name other operators see through a relay.
        """
        self.validate()
        if self.kind == "simulator":
            if not sim_url:
                raise ConfigError("the built-in simulator is not running")
            return sim_url
        if self.kind == "direct":
            return _with_query(self.url, token=self.token)
        path = f"/client/{quote(self.robot_id, safe='')}"
        return _with_query(self.url.rstrip("/") + path, token=self.token, name=operator)

    def validate(self) -> None:
        """Raise ConfigError saying what is wrong with this profile."""
        if not self.name.strip():
            raise ConfigError("a profile needs a name")
        if self.kind not in KINDS:
            raise ConfigError(f"profile {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "simulator":
            return
        parts = urlsplit(self.url)
        if parts.scheme not in ("ws", "wss"):
            raise ConfigError(
                f"profile {self.name!r}: the URL must start with ws:// or wss://, "
                f"got {self.url!r}"
            )
        if not parts.hostname:
            raise ConfigError(f"profile {self.name!r}: the URL {self.url!r} names no host")
        if self.kind == "relay" and not self.robot_id.strip():
            raise ConfigError(f"profile {self.name!r}: a relay profile needs the robot id")
        self._validate_tls(parts.scheme)

    def _validate_tls(self, scheme: str) -> None:
        if (self.ca_file or self.pin) and scheme != "wss":
            raise ConfigError(
                f"profile {self.name!r}: a CA file or pinned certificate needs a wss:// URL"
            )
        if self.ca_file and not Path(self.ca_file).is_file():
            raise ConfigError(f"profile {self.name!r}: no CA file at {self.ca_file!r}")
        if self.pin:
            try:
                normalize_fingerprint(self.pin)
            except ConfigError as exc:
                raise ConfigError(f"profile {self.name!r}: {exc}") from None


def _with_query(url: str, **params: str) -> str:
    """`url` with the non-empty `params` added to its query, URL-quoted."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _simulator_profile() -> Profile:
    return Profile(name=SIMULATOR, kind="simulator")


@dataclass
class Settings:
    """Everything the app remembers between runs."""

    profiles: list[Profile] = field(default_factory=lambda: [_simulator_profile()])
    last_profile: str = SIMULATOR
    window_geometry: str = ""
    window_state: str = ""
    plot_seconds: float = 10.0
    hidden_channels: list[str] = field(default_factory=list)
    speed: int = DEFAULT_SPEED
    operator_name: str = ""

    def __post_init__(self) -> None:
        if not any(p.name == SIMULATOR for p in self.profiles):
            self.profiles.insert(0, _simulator_profile())
        self.speed = max(SPEED_MIN, min(SPEED_MAX, self.speed))

    def profile(self, name: str) -> Profile | None:
        """The profile called `name`, if any."""
        return next((p for p in self.profiles if p.name == name), None)

    @property
    def current(self) -> Profile:
        """The last used profile, or the simulator when it is gone."""
        return self.profile(self.last_profile) or self.profile(SIMULATOR) or _simulator_profile()

    @classmethod
    def path(cls) -> Path:
        """The settings file."""
        return config_dir() / SETTINGS_FILE

    @classmethod
    def load(cls) -> Settings:
        """Read the settings file; defaults when it is missing or unusable."""
        path = cls.path()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            log.warning("cannot read %s (%s); using defaults", path, exc)
            return cls()
        try:
            return cls.from_json(json.loads(data.decode("utf-8")))
        except (ValueError, TypeError, ConfigError) as exc:
            _keep_aside(path, exc)
            return cls()

    @classmethod
    def from_json(cls, raw: Any) -> Settings:
        """Build from parsed JSON; raises TypeError/ConfigError on a wrong shape."""
        if not isinstance(raw, dict):
            raise TypeError("the settings file must hold a JSON object")
        default = cls()
        return cls(
            profiles=[_profile(p) for p in _get(raw, "profiles", list, [])],
            last_profile=_get(raw, "last_profile", str, default.last_profile),
            window_geometry=_get(raw, "window_geometry", str, ""),
            window_state=_get(raw, "window_state", str, ""),
            plot_seconds=float(_get(raw, "plot_seconds", (int, float), default.plot_seconds)),
            hidden_channels=[str(c) for c in _get(raw, "hidden_channels", list, [])],
            speed=_get(raw, "speed", int, default.speed),
            operator_name=_get(raw, "operator_name", str, ""),
        )

    def save(self) -> None:
        """Write atomically: a temporary file renamed over the old one."""
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(asdict(self), f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)


def _keep_aside(path: Path, problem: Exception) -> None:
    """Move a corrupt settings file to `.bak`, so the next save cannot destroy it."""
    backup = path.with_suffix(path.suffix + ".bak")
    try:
        path.replace(backup)
    except OSError as exc:
        log.warning("%s is corrupt (%s) and cannot be moved aside: %s", path, problem, exc)
    else:
        log.warning("%s is corrupt (%s); kept as %s, using defaults", path, problem, backup)


def _get(raw: Mapping[str, Any], key: str, kind: type[T] | tuple[type, ...], default: T) -> T:
    """raw[key] if present and of the right type; TypeError if of another type."""
    if key not in raw:
        return default
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{key!r} has the wrong type ({type(value).__name__})")
    return cast(T, value)


def _profile(raw: Any) -> Profile:
    if not isinstance(raw, dict):
        raise TypeError("a profile must be a JSON object")
    kind = _get(raw, "kind", str, "")
    if kind not in KINDS:
        raise ConfigError(f"unknown profile kind {kind!r}")
    keys = ("name", "url", "robot_id", "token", "ca_file", "pin")
    text = {key: _get(raw, key, str, "") for key in keys}
    return Profile(kind=cast(ProfileKind, kind), **text)
