#!/usr/bin/env bash
# Install symrbm's build and test dependencies (Debian packages), idempotently:
# every package already present is left alone; missing ones are installed with
# apt-get when running as root, otherwise the exact command is printed and the
# script fails.
#
#   scripts/deps.sh         build, tests, figures
#   scripts/deps.sh fuzz    the same plus clang and its runtime libraries
#                           (libFuzzer, ASan, UBSan) for `make fuzz`
#   scripts/deps.sh bench   the same plus NumPy, SciPy and Numba (Debian's, for
#                           /usr/bin/python3) and GNU time, for the SciPy
#                           LSODA reference and the PGM side-by-side of `make bench`
#   scripts/deps.sh mpi     the same plus Open MPI (mpicc, mpirun) for
#                           `make mpi` and `make mpi-check`
#   scripts/deps.sh fuzz mpi   several groups at once (CI)
set -euo pipefail

pkgs=(build-essential pkg-config libgsl-dev libsundials-dev libfftw3-dev check gnuplot-nox)
for group in "$@"; do
    case "$group" in
        "") ;;
        # clang and libclang-rt-dev follow Debian's default LLVM (14 on
        # bookworm: clang-14, libclang-rt-14-dev, which holds libFuzzer)
        fuzz) pkgs+=(clang libclang-rt-dev) ;;
        bench) pkgs+=(python3-numpy python3-scipy python3-numba time) ;;
        mpi) pkgs+=(libopenmpi-dev openmpi-bin) ;;
        *) echo "deps.sh: unknown group '$group' (known: fuzz, bench, mpi)" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]}" >&2
    echo "deps.sh: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
echo "deps.sh: done" >&2
