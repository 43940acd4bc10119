#!/bin/sh
# Every service starts here: the shipped models are copied into the shared volume once
# (retrained ones then live beside the workspace and survive a new image), then the command runs.
set -eu
app="${WORKBENCH_APP_DIR:-/app}"
models="${WORKBENCH_MODELS:-/data/models}"
mkdir -p "$models"
if [ -d "$app/models" ] && [ "$(cd "$app/models" && pwd)" != "$(cd "$models" && pwd)" ]; then
    cp -Rn "$app/models/." "$models"/ 2>/dev/null || true
fi
cd "$app"
exec "$@"
