"""Settings survive a restart, and a broken file never stops the app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import ConfigError
from app.settings import Profile, Settings, config_dir, data_dir, recordings_dir


def test_folders_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBODECK_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("ROBODECK_DATA_DIR", str(tmp_path / "d"))
    assert config_dir() == tmp_path / "c"
    assert data_dir() == tmp_path / "d"
    assert recordings_dir().is_dir() and recordings_dir().parent == tmp_path / "d"


def test_defaults_when_there_is_no_file() -> None:
    s = Settings.load()
    assert [p.name for p in s.profiles] == ["Simulator"]
    assert s.current.kind == "simulator"
    assert (s.speed, s.plot_seconds, s.hidden_channels) == (60, 10.0, [])


def test_round_trip() -> None:
    s = Settings.load()
    s.profiles.append(Profile("lab", "relay", url="wss://relay.example:8443", robot_id="rover 1", token="t&k"))
    s.last_profile = "lab"
    s.window_geometry, s.window_state = "AdnQywAD", "AAAA/w=="
    s.plot_seconds, s.hidden_channels, s.speed, s.operator_name = 30.0, ["light"], 80, "ana"
    s.save()
    assert not list(config_dir().glob("*.tmp")), "no temporary file left behind"
    assert Settings.load() == s


def test_the_simulator_profile_is_always_there() -> None:
    config_dir().mkdir(parents=True)
    (config_dir() / "settings.json").write_text(json.dumps(
        {"profiles": [{"name": "bench", "kind": "direct", "url": "ws://10.0.0.5/"}], "last_profile": "gone"}
    ))
    s = Settings.load()
    assert [p.name for p in s.profiles] == ["Simulator", "bench"]
    assert s.current.name == "Simulator", "a vanished last profile falls back to the simulator"


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[1, 2]",
        b'{"speed": "fast"}',
        b'{"profiles": [{"name": "x", "kind": "teleport"}]}',
        b'{"profiles": "none"}',
        b"\xff\xfe{}",
        b"",
    ],
)
def test_corrupt_file_gives_defaults_and_is_kept_aside(content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    path = config_dir() / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    s = Settings.load()
    assert s == Settings()
    assert not path.exists()
    assert path.with_suffix(".json.bak").read_bytes() == content
    assert "corrupt" in caplog.text
    s.save()
    assert Settings.load() == s


@pytest.mark.parametrize(
    ("profile", "url"),
    [
        (Profile("a", "direct", url="ws://192.168.1.40:81/"), "ws://192.168.1.40:81/"),
        (Profile("a", "direct", url="ws://rover.local/", token="s3cret"), "ws://rover.local/?token=s3cret"),
        (Profile("a", "direct", url="ws://r/?x=1", token="a b"), "ws://r/?x=1&token=a%20b"),
        (Profile("a", "relay", url="wss://relay.io/", robot_id="rover/1", token="t&k"),
         "wss://relay.io/client/rover%2F1?token=t%26k"),
        (Profile("a", "relay", url="ws://127.0.0.1:8765", robot_id="r"), "ws://127.0.0.1:8765/client/r"),
    ],
)
def test_link_url(profile: Profile, url: str) -> None:
    assert profile.link_url() == url


def test_link_url_of_the_simulator_and_operator_name() -> None:
    assert Profile("Simulator", "simulator").link_url("ws://127.0.0.1:4242/") == "ws://127.0.0.1:4242/"
    with pytest.raises(ConfigError, match="simulator is not running"):
        Profile("Simulator", "simulator").link_url()
    relay = Profile("a", "relay", url="ws://h", robot_id="r", token="t")
    assert relay.link_url(operator="Ana M") == "ws://h/client/r?token=t&name=Ana%20M"


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (Profile("", "direct", url="ws://h/"), "needs a name"),
        (Profile("a", "direct", url="http://h/"), "must start with ws:// or wss://"),
        (Profile("a", "direct", url="h:81"), "must start with ws://"),
        (Profile("a", "direct", url="ws:///path"), "names no host"),
        (Profile("a", "relay", url="ws://h/", robot_id=" "), "needs the robot id"),
    ],
)
def test_validate_says_what_is_wrong(profile: Profile, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        profile.validate()


def test_tls_trust_is_kept_and_checked(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    pin = "AB:" * 31 + "AB"
    profile = Profile(name="lab", kind="relay", url="wss://relay.lab:8765", robot_id="rover",
                      token="t", ca_file=str(ca), pin=pin)
    settings = Settings(profiles=[profile], last_profile="lab")
    settings.save()
    loaded = Settings.load().current
    assert (loaded.ca_file, loaded.pin) == (str(ca), pin)
    options = loaded.tls_options()
    assert options is not None and options.pin == "ab" * 32 and options.cafile == str(ca)
    assert Profile(name="plain", kind="direct", url="wss://r:1/").tls_options() is None
    with pytest.raises(ConfigError, match="wss://"):
        Profile(name="x", kind="direct", url="ws://r:1/", pin=pin).validate()
    with pytest.raises(ConfigError, match="no CA file"):
        Profile(name="x", kind="direct", url="wss://r:1/", ca_file=str(tmp_path / "nope")).validate()
    with pytest.raises(ConfigError, match="SHA-256"):
        Profile(name="x", kind="direct", url="wss://r:1/", pin="12:34").validate()
