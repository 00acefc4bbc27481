#!/usr/bin/env bash
# Install Companion as a systemd service from this checkout, on a fresh Debian VM, as root:
#   sudo bash deploy/install.sh
# What it does (each step is safe to repeat): create the system user, copy the code to
# COMPANION_HOME owned by that user, `make install` as that user (.venv with the PostgreSQL
# driver, the data folder), .env from .env.example if there is none, the unit file, then
# `systemctl enable --now` (skipped with SKIP_SYSTEMCTL=1, e.g. in tests).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
HOME_DIR="${COMPANION_HOME:-/opt/companion}"
USER_NAME="${COMPANION_USER:-companion}"
UNIT_DIR="${UNIT_DIR:-/etc/systemd/system}"

if ! id "$USER_NAME" >/dev/null 2>&1; then
  useradd --system --home-dir "$HOME_DIR" --shell /usr/sbin/nologin "$USER_NAME"
fi
mkdir -p "$HOME_DIR"
if [ "$SRC" != "$HOME_DIR" ]; then
  tar -C "$SRC" --exclude=.venv --exclude=data --exclude=.git -cf - . | tar -C "$HOME_DIR" -xf -
fi
chown -R "$USER_NAME:" "$HOME_DIR"
as_user() { if [ "$(id -un)" = "$USER_NAME" ]; then "$@"; else runuser -u "$USER_NAME" -- "$@"; fi; }
as_user make -C "$HOME_DIR" install
[ -f "$HOME_DIR/.env" ] || as_user cp "$HOME_DIR/.env.example" "$HOME_DIR/.env"
sed -e "s#/opt/companion#$HOME_DIR#g" -e "s#^User=companion#User=$USER_NAME#" \
    -e "s#^Group=companion#Group=$(id -gn "$USER_NAME")#" \
    "$HOME_DIR/deploy/companion.service" > "$UNIT_DIR/companion.service"
if [ "${SKIP_SYSTEMCTL:-0}" != 1 ]; then
  systemctl daemon-reload
  systemctl enable --now companion
  echo "installed; edit $HOME_DIR/.env (BOT_TOKEN, ADMIN_IDS, ...) then: systemctl restart companion"
fi
