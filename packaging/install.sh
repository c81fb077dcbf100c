#!/usr/bin/env bash
# Install Switchboard for this user, from the folder this script is in (the unpacked
# archive): the app under ~/.local/opt/switchboard, a `switchboard` command in
# ~/.local/bin, and a menu entry with its icon, so it shows in the desktop's app menu.
#   ./install.sh              install (again: replaces the installed copy)
#   ./install.sh --uninstall  remove all of it (your chats and settings stay, in
#                             ~/.local/share/Switchboard; delete that folder to remove them too)
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APP="$HOME/.local/opt/switchboard"
BIN="$HOME/.local/bin/switchboard"
DESKTOP="$DATA/applications/switchboard.desktop"
ICON="$DATA/icons/hicolor/256x256/apps/switchboard.png"

refresh_menus() {
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$APP" "$BIN" "$DESKTOP" "$ICON"
  refresh_menus
  echo "Switchboard removed. Your chats and settings are kept in $DATA/Switchboard."
  exit 0
fi

[ -x "$SOURCE/switchboard" ] || { echo "install.sh: run it from the unpacked Switchboard folder" >&2; exit 1; }
if [ "$SOURCE" != "$APP" ]; then
  rm -rf "$APP.new"
  mkdir -p "$(dirname "$APP")"
  cp -a "$SOURCE" "$APP.new"
  rm -rf "$APP"
  mv "$APP.new" "$APP"
fi
mkdir -p "$(dirname "$BIN")" "$(dirname "$DESKTOP")" "$(dirname "$ICON")"
ln -sf "$APP/switchboard" "$BIN"
cp "$APP/_internal/resources/icons/switchboard.png" "$ICON"
cat > "$DESKTOP" <<DESKTOP_ENTRY
[Desktop Entry]
Type=Application
Name=Switchboard
GenericName=AI assistant
Comment=Chat with local and cloud models; each message goes to the right one, and says why
Exec="$APP/switchboard" %U
Icon=switchboard
Terminal=false
Categories=Office;Utility;Chat;
Keywords=AI;LLM;chat;assistant;llama;
StartupWMClass=switchboard
DESKTOP_ENTRY
refresh_menus
echo "Switchboard installed: run 'switchboard' (make sure ~/.local/bin is on your PATH) or find it in the app menu."
