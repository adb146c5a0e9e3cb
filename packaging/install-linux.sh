#!/usr/bin/env bash
# Put RoboDeck into your applications menu (Linux, for your user only, no root).
#
#   ./install-linux.sh               install the folder build this script sits in
#                                    (or, in a checkout, dist/RoboDeck/)
#   ./install-linux.sh --uninstall   remove it again (settings and recordings stay)
#
# It copies the folder build to ~/.local/opt/RoboDeck (so the download can be
# deleted), links ~/.local/bin/robodeck to it, installs the icon into the
# hicolor theme and a robodeck.desktop entry whose Exec is the copied program.
# The entry is named after the app id the window reports (robodeck), so docks
# and task bars show the right icon. XDG_DATA_HOME and ROBODECK_INSTALL_DIR
# move the menu files and the program elsewhere.
set -euo pipefail

app_id=robodeck
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
target=${ROBODECK_INSTALL_DIR:-$HOME/.local/opt/RoboDeck}
bin_link=$HOME/.local/bin/$app_id
desktop_file=$data_home/applications/$app_id.desktop
icons=$data_home/icons/hicolor

say() { printf '%s\n' "$*"; }
die() { printf 'install-linux.sh: %s\n' "$*" >&2; exit 1; }

is_bundle() { [ -x "$1/RoboDeck" ] && [ -d "$1/_internal" ]; }

# Never delete a folder that is not a RoboDeck build (say, a mistyped install dir).
check_target() {
  if [ -e "$target" ] && ! is_bundle "$target"; then
    die "$target exists and is not a RoboDeck build; not touching it"
  fi
}

find_bundle() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  for candidate in "$here" "$here/../dist/RoboDeck"; do
    if is_bundle "$candidate"; then
      (cd "$candidate" && pwd)
      return
    fi
  done
  die "no RoboDeck build next to this script or in dist/RoboDeck (build one with: make package)"
}

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data_home/applications" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$icons/index.theme" ]; then
    gtk-update-icon-cache -q -t "$icons" || true
  fi
}

# Exec and TryExec point at the installed program; the path is quoted as the
# Desktop Entry spec asks when it may hold spaces.
write_desktop_entry() {
  local source=$1 program=$2
  mkdir -p "$(dirname "$desktop_file")"
  sed -e "s|^Exec=.*|Exec=\"$program\"|" \
      -e "/^TryExec=/d" \
      -e "s|^Type=Application|Type=Application\nTryExec=$program|" \
      "$source" > "$desktop_file.tmp"
  mv "$desktop_file.tmp" "$desktop_file"
}

install_icons() {
  local resources=$1 png size
  mkdir -p "$icons/scalable/apps"
  cp "$resources/icons/robodeck.svg" "$icons/scalable/apps/$app_id.svg"
  for png in "$resources"/icons/png/robodeck-*.png; do
    [ -e "$png" ] || continue
    size=${png##*-}
    size=${size%.png}
    mkdir -p "$icons/${size}x${size}/apps"
    cp "$png" "$icons/${size}x${size}/apps/$app_id.png"
  done
}

install_app() {
  local bundle
  bundle=$(find_bundle)
  check_target
  if [ "$bundle" != "$target" ]; then
    mkdir -p "$(dirname "$target")"
    rm -rf "$target.new"
    cp -a "$bundle" "$target.new"
    rm -rf "$target"
    mv "$target.new" "$target"
  fi
  mkdir -p "$(dirname "$bin_link")"
  ln -sfn "$target/RoboDeck" "$bin_link"
  install_icons "$target/_internal/resources"
  write_desktop_entry "$target/_internal/resources/robodeck.desktop" "$target/RoboDeck"
  refresh_caches
  say "RoboDeck is installed in $target."
  say "Open it from your applications menu, or run: $bin_link"
  case ":$PATH:" in
    *":$HOME/.local/bin:"*) ;;
    *) say "(~/.local/bin is not on your PATH: the menu entry works all the same)" ;;
  esac
}

uninstall_app() {
  check_target
  rm -f "$desktop_file" "$icons/scalable/apps/$app_id.svg" "$icons"/*/apps/"$app_id.png"
  if [ -L "$bin_link" ]; then rm -f "$bin_link"; fi
  rm -rf "$target"
  refresh_caches
  say "RoboDeck is removed. Your settings and recordings are kept in"
  say "  ${XDG_CONFIG_HOME:-$HOME/.config}/robodeck and $data_home/robodeck"
}

case "${1:-}" in
  "") install_app ;;
  --uninstall) uninstall_app ;;
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown option: $1 (try --help)" ;;
esac
