#!/usr/bin/env bash
# Install or upgrade Companion as a systemd service from this checkout, as root:
#   sudo bash deploy/install.sh
# Each step is safe to repeat:
#  1. the system user;
#  2. the code synced to COMPANION_HOME, owned by that user: files the new version no longer
#     has are removed (the list of what was installed is kept in .installed-files), while
#     .env, data/ and .venv/ stay;
#  3. `make install` as that user (.venv with the PostgreSQL driver at the versions pinned in
#     constraints.txt, the data folder);
#  4. .env from .env.example if there is none; .env and data/ (the database, media) are the
#     bot's user's only (600 and 700; what an older install left readable is closed too);
#  5. the unit file; then, only once .env holds a BOT_TOKEN, `systemctl enable` and a
#     restart (a first start, or the upgraded code taking over). Without a token the unit is
#     left stopped, and the script says what to set. SKIP_SYSTEMCTL=1 skips systemctl.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
HOME_DIR="${COMPANION_HOME:-/opt/companion}"
USER_NAME="${COMPANION_USER:-companion}"
UNIT_DIR="${UNIT_DIR:-/etc/systemd/system}"
MANIFEST=".installed-files"

if ! id "$USER_NAME" >/dev/null 2>&1; then
  useradd --system --home-dir "$HOME_DIR" --shell /usr/sbin/nologin "$USER_NAME"
fi
mkdir -p "$HOME_DIR"
# From here on, whatever is created is its owner's only: .env holds the token, data/ the users.
umask 077

if [ "$SRC" != "$HOME_DIR" ]; then
  # What this version ships: every file but the checkout's own state and secrets.
  files="$(mktemp)"
  trap 'rm -f "$files"' EXIT
  (cd "$SRC" && find . \( -path ./.git -o -path ./.venv -o -path ./data -o -name __pycache__ \
      -o -path ./.mypy_cache -o -path ./.ruff_cache -o -path ./.pytest_cache \) -prune \
      -o -type f ! -name .env ! -name "$MANIFEST" ! -name '*.mo' -print | LC_ALL=C sort) > "$files"
  tar -C "$SRC" -cf - -T "$files" | tar -C "$HOME_DIR" -xf -
  if [ -f "$HOME_DIR/$MANIFEST" ]; then
    # Files the previous install put there that this version no longer has.
    LC_ALL=C comm -23 <(LC_ALL=C sort "$HOME_DIR/$MANIFEST") "$files" | while IFS= read -r gone; do
      rm -f -- "$HOME_DIR/$gone"
    done
    find "$HOME_DIR" -depth -type d -empty ! -path "$HOME_DIR/data*" ! -path "$HOME_DIR/.venv*" -delete
  fi
  cp "$files" "$HOME_DIR/$MANIFEST"
fi
chown -R "$USER_NAME:" "$HOME_DIR"
as_user() { if [ "$(id -un)" = "$USER_NAME" ]; then "$@"; else runuser -u "$USER_NAME" -- "$@"; fi; }
as_user make -C "$HOME_DIR" install
[ -f "$HOME_DIR/.env" ] || as_user cp "$HOME_DIR/.env.example" "$HOME_DIR/.env"
chmod 600 "$HOME_DIR/.env"
chmod 700 "$HOME_DIR/data"
chmod -R go-rwx "$HOME_DIR/data"
sed -e "s#/opt/companion#$HOME_DIR#g" -e "s#^User=companion#User=$USER_NAME#" \
    -e "s#^Group=companion#Group=$(id -gn "$USER_NAME")#" \
    "$HOME_DIR/deploy/companion.service" > "$UNIT_DIR/companion.service"

if [ "${SKIP_SYSTEMCTL:-0}" = 1 ]; then
  exit 0
fi
systemctl daemon-reload
if grep -Eq '^[[:space:]]*BOT_TOKEN=[[:space:]]*[^[:space:]#]' "$HOME_DIR/.env"; then
  systemctl enable companion
  systemctl restart companion
  echo "installed and (re)started; see: systemctl status companion, journalctl -u companion"
else
  echo "installed, not started: set BOT_TOKEN (and ADMIN_IDS) in $HOME_DIR/.env, check it with"
  echo "  sudo -u $USER_NAME $HOME_DIR/.venv/bin/python -m bot check --online"
  echo "(run it in $HOME_DIR), then run this script again to enable and start the service"
fi
