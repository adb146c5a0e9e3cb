"""Saved connection profiles, the dialog that edits them, and Connect.

The bar owns no settings: it shows the profiles it is given and announces
what the user chose or changed; ui/bridge.py stores them in Settings and
asks the Session to connect.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import ConfigError
from app.link import LinkState
from app.settings import Profile
from ui.look import set_style_property
from ui.resources import icon

#: kind -> label in the dialog, and the URL a user would start from.
KINDS: dict[str, tuple[str, str]] = {
    "simulator": ("Built-in simulator", ""),
    "direct": ("Direct (robot on the LAN)", "ws://robot-address:8765/"),
    "relay": ("Relay (robot behind NAT)", "ws://relay-host:8765/"),
}
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_BUSY = (LinkState.CONNECTING, LinkState.CONNECTED, LinkState.RECONNECTING)


class ProfileDialog(QDialog):
    """Add or edit one profile; stays open until the fields are valid."""

    saved = Signal(object)  # Profile

    def __init__(self, profile: Profile | None, taken: set[str], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit profile" if profile else "New profile")
        self.setMinimumWidth(420)
        self._taken = taken
        self.name = QLineEdit(profile.name if profile else "")
        self.kind = QComboBox()
        for kind, (label, _) in KINDS.items():
            self.kind.addItem(label, kind)
        self.url = QLineEdit(profile.url if profile else "")
        self.robot_id = QLineEdit(profile.robot_id if profile else "")
        self.token = QLineEdit(profile.token if profile else "")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.ca_file = QLineEdit(profile.ca_file if profile else "")
        self.ca_file.setPlaceholderText("optional, wss:// only: trust this CA (PEM file)")
        self.pin = QLineEdit(profile.pin if profile else "")
        self.pin.setPlaceholderText("optional, wss:// only: SHA-256 fingerprint")
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self._build(profile.kind if profile else "direct")

    def _build(self, kind: str) -> None:
        self.kind.currentIndexChanged.connect(self._on_kind)
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self._on_kind()
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("URL", self.url)
        form.addRow("Robot id", self.robot_id)
        form.addRow("Token", self.token)
        form.addRow("CA file", self.ca_file)
        form.addRow("Certificate pin", self.pin)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _on_kind(self) -> None:
        kind = self.kind.currentData()
        self.url.setEnabled(kind != "simulator")
        self.url.setPlaceholderText(KINDS[kind][1])
        self.robot_id.setEnabled(kind == "relay")
        for field in (self.token, self.ca_file, self.pin):
            field.setEnabled(kind != "simulator")

    def profile(self) -> Profile:
        """The profile as typed, not yet validated."""
        kind = self.kind.currentData()
        remote = kind != "simulator"

        def text(field: QLineEdit, used: bool = remote) -> str:
            return field.text().strip() if used else ""

        return Profile(
            name=self.name.text().strip(),
            kind=kind,
            url=text(self.url),
            robot_id=text(self.robot_id, kind == "relay"),
            token=text(self.token),
            ca_file=text(self.ca_file),
            pin=text(self.pin),
        )

    def accept(self) -> None:
        """Close only with a valid profile; otherwise say what is wrong."""
        profile = self.profile()
        try:
            if profile.name in self._taken:
                raise ConfigError(f"a profile named {profile.name!r} already exists")
            profile.validate()
        except ConfigError as exc:
            self.error.setText(str(exc))
            self.adjustSize()
            return
        self.saved.emit(profile)
        super().accept()


class ConnectionBar(QWidget):
    """Profile picker, add/edit/delete, Connect/Disconnect."""

    connect_requested = Signal(object)  # Profile
    disconnect_requested = Signal()
    profiles_changed = Signal(object)  # list[Profile]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBar")
        self._profiles: list[Profile] = []
        self._busy = False
        self.dialog: ProfileDialog | None = None
        self.combo = QComboBox()
        self.combo.setMinimumWidth(200)
        self.combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.add_button = _small_button("+", "New profile")
        self.edit_button = _small_button("Edit", "Edit this profile")
        self.delete_button = _small_button("Delete", "Delete this profile")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._build()

    def _build(self) -> None:
        logo = QLabel()
        logo.setPixmap(icon("robodeck").pixmap(28, 28))
        name = QLabel("RoboDeck")
        name.setObjectName("appName")
        self.add_button.clicked.connect(self._add)
        self.edit_button.clicked.connect(self._edit)
        self.delete_button.clicked.connect(self._delete)
        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.combo.currentIndexChanged.connect(self._update_buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(logo)
        layout.addWidget(name)
        layout.addSpacing(18)
        layout.addWidget(QLabel("Profile"))
        layout.addWidget(self.combo)
        for button in (self.add_button, self.edit_button, self.delete_button):
            layout.addWidget(button)
        layout.addStretch(1)
        layout.addWidget(self.connect_button)

    def set_profiles(self, profiles: list[Profile], current: str | None) -> None:
        """Show `profiles`, selecting the one named `current` if present."""
        self._profiles = list(profiles)
        self.combo.blockSignals(True)
        self.combo.clear()
        for profile in self._profiles:
            label = (
                profile.name if profile.kind == "simulator" else f"{profile.name} · {profile.kind}"
            )
            self.combo.addItem(label, profile.name)
            self.combo.setItemData(self.combo.count() - 1, profile.url or "built-in", _TOOLTIP)
        index = self.combo.findData(current)
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)
        self._update_buttons()

    def current_profile(self) -> Profile | None:
        """The selected profile."""
        index = self.combo.currentIndex()
        return self._profiles[index] if 0 <= index < len(self._profiles) else None

    def show_state(self, state: LinkState) -> None:
        """Connect when offline, Disconnect otherwise; no profile switching mid-link."""
        self._busy = state in _BUSY
        self.connect_button.setText("Disconnect" if self._busy else "Connect")
        set_style_property(self.connect_button, "busy", self._busy)
        self.combo.setEnabled(not self._busy)
        self._update_buttons()

    def _on_connect_clicked(self) -> None:
        profile = self.current_profile()
        if self._busy:
            self.disconnect_requested.emit()
        elif profile is not None:
            self.connect_requested.emit(profile)

    def _update_buttons(self) -> None:
        profile = self.current_profile()
        editable = profile is not None and profile.kind != "simulator" and not self._busy
        self.edit_button.setEnabled(editable)
        self.delete_button.setEnabled(editable)
        self.add_button.setEnabled(not self._busy)

    def _add(self) -> None:
        self._run_dialog(None)

    def _edit(self) -> None:
        self._run_dialog(self.current_profile())

    def _run_dialog(self, old: Profile | None) -> None:
        """Open the editor without blocking; the loop keeps running meanwhile."""
        taken = {p.name for p in self._profiles if old is None or p.name != old.name}
        self.dialog = ProfileDialog(old, taken, self.window())
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.saved.connect(lambda new: self._store(old, new))
        self.dialog.open()

    def _store(self, old: Profile | None, new: Profile) -> None:
        profiles = [new if old is not None and p.name == old.name else p for p in self._profiles]
        if old is None:
            profiles.append(new)
        self.set_profiles(profiles, new.name)
        self.profiles_changed.emit(self._profiles)

    def _delete(self) -> None:
        profile = self.current_profile()
        if profile is None:
            return
        self.set_profiles([p for p in self._profiles if p is not profile], None)
        self.profiles_changed.emit(self._profiles)


def _label(profile: Profile) -> str:
    """The simulator's name says it all; others also show how they connect."""
    return profile.name if profile.kind == "simulator" else f"{profile.name} · {profile.kind}"


def _small_button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button
