#!/usr/bin/env bash
# Regenerates the bundled demo samples in resources/demo/ from the FluidR3 GM SoundFont (Debian package
# fluid-soundfont-gm) with fluidsynth and sox: one note each, mono, 16-bit, 44.1 kHz, trimmed to 1.5 s.
# Run on purpose only; the WAVs are committed so a fresh clone needs neither tool.
set -euo pipefail
cd "$(dirname "$0")/.."
SOUNDFONT=${SOUNDFONT:-/usr/share/sounds/sf2/FluidR3_GM.sf2}
OUT=resources/demo
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# write_midi FILE PROGRAM NOTE: a format-0 MIDI file, 480 ticks per quarter at 120 bpm, the note held 1 s (960 ticks).
write_midi() {
  local program note
  program=$(printf '%02x' "$2")
  note=$(printf '%02x' "$3")
  printf "MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0" > "$1"
  printf "MTrk\x00\x00\x00\x11" >> "$1"
  printf "\x00\xc0\x${program}\x00\x90\x${note}\x64\x87\x40\x80\x${note}\x40\x00\xff\x2f\x00" >> "$1"
}

# render NAME PROGRAM NOTE (PROGRAM is the 0-based GM program number)
render() {
  write_midi "$work/$1.mid" "$2" "$3"
  fluidsynth -ni -g 0.8 -r 44100 -F "$work/$1-raw.wav" "$SOUNDFONT" "$work/$1.mid" > /dev/null 2>&1
  sox "$work/$1-raw.wav" -b 16 -c 1 "$OUT/$1.wav" trim 0 1.5 fade t 0 1.5 0.1 norm -1
  echo "wrote $OUT/$1.wav ($(stat -c %s "$OUT/$1.wav") bytes)"
}

render epiano-c4 4 60   # GM 5 Electric Piano 1, middle C
render bell-a4 14 69    # GM 15 Tubular Bells, A4
