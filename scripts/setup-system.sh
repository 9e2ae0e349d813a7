#!/usr/bin/env bash
# Debian packages the project needs (see README "System packages"). Idempotent; skips apt when all are present.
set -euo pipefail
packages=(libasound2-dev chromium fluidsynth fluid-soundfont-gm sox alsa-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
