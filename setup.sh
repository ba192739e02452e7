#!/usr/bin/env bash
# AttnScope set-up: installs what is missing (Debian 12 packages), builds, and
#   ./setup.sh demo   runs the main job: generate -> capture -> derive -> re-render -> compare
#   ./setup.sh test   runs the test suites (ctest)
#   ./setup.sh deps   only installs the packages
#   ./setup.sh build  only builds (into build/)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopenblas0-openmp
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libsqlite3-dev nlohmann-json3-dev libcli11-dev
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev
  libvulkan-dev glslc mesa-vulkan-drivers libimgui-dev
  xvfb xauth
)

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "Installing: ${missing[*]}"
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build() {
  local jobs
  jobs=$(nproc)
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build build -j "$jobs"
}

demo() {
  local cli=build/app/attnscope-cli model=build/assets/default-untrained out=out
  mkdir -p "$out"
  local prompt="a red circle moves left on a dark background"
  "$cli" generate --model "$model" --prompt "$prompt" --seed 7 --out "$out/dense.mp4"
  "$cli" capture --model "$model" --prompt "$prompt" --seed 7 --capture-steps 10 \
    --block 64 --layout tiled --export-atlas "$out/atlas.safetensors" --out "$out/capture.mp4"
  "$cli" derive --atlas "$out/atlas.safetensors" --strategy threshold \
    --target-density 0.25 --out "$out/plan.json"
  "$cli" generate --model "$model" --prompt "$prompt" --seed 7 --mask "$out/plan.json" --out "$out/sparse.mp4"
  "$cli" compare "$out/dense.mp4" "$out/sparse.mp4" --csv "$out/compare.csv"
  echo "Outputs in $out/"
}

run_tests() {
  export QT_QPA_PLATFORM=offscreen
  ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 1500
}

case "${1:-demo}" in
  deps) install_deps ;;
  build) install_deps; build ;;
  demo) install_deps; build; demo ;;
  test) install_deps; build; run_tests ;;
  *) echo "usage: $0 [demo|test|deps|build]" >&2; exit 2 ;;
esac
