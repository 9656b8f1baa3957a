#!/usr/bin/env bash
# Starts one hoinghi node with embedded defaults: all mediasoup workers on this machine, state in
# memory (no Redis), demo sign-in on. Prints the URL. Any HOINGHI_* variable overrides a default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HOINGHI_DEMO_SIGNIN="${HOINGHI_DEMO_SIGNIN:-true}"
# The embedded database (PGlite) keeps organisation, meetings and attendance here, unless
# HOINGHI_DATABASE_URL names a PostgreSQL server.
if [ -z "${HOINGHI_DATABASE_URL:-}" ]; then export HOINGHI_DATA_DIR="${HOINGHI_DATA_DIR:-$PWD/data}"; fi
# Producers' clips (signaling/clips/): a 20 s test clip (test pattern and a tone) is made once,
# when the clips folder has none, so that "Phát" has something to play out of the box.
export HOINGHI_CLIPS_DIR="${HOINGHI_CLIPS_DIR:-$PWD/clips}"
if ! compgen -G "$HOINGHI_CLIPS_DIR/*.mp4" >/dev/null && ! compgen -G "$HOINGHI_CLIPS_DIR/*.webm" >/dev/null && ! compgen -G "$HOINGHI_CLIPS_DIR/*.mkv" >/dev/null; then
  mkdir -p "$HOINGHI_CLIPS_DIR"
  demo_clip="$HOINGHI_CLIPS_DIR/Clip_thử_20_giây.mp4"
  if ffmpeg -hide_banner -loglevel error -y \
      -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 20 \
      -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 60 -c:a aac -b:a 96k -shortest -f mp4 "$demo_clip.part"; then
    mv "$demo_clip.part" "$demo_clip"
    echo "start: made a 20 s test clip in $HOINGHI_CLIPS_DIR"
  else
    rm -f "$demo_clip.part"
    echo "start: could not make the test clip (is ffmpeg installed?); the clip list stays empty" >&2
  fi
fi
# The worker build's knobs are this script's (scripts/build-worker.sh), not the server's settings.
exec env -u HOINGHI_WORKER_VARIANT -u HOINGHI_WORKER_VERIFY -u HOINGHI_WORKER_JOBS -u HOINGHI_WORKER_BUILD_ONLY -u HOINGHI_CACHE_DIR \
  node --import tsx signaling/main.ts
