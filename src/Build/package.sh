#!/usr/bin/env bash
# Builds the self-contained distributable of fsising: a .tar.gz that runs without the .NET SDK or runtime,
# with the embedded MNIST. With --check it then proves that: unpacks the archive into an empty directory
# and runs `fsising run --preset quick` with a clean environment (env -i, PATH=/usr/bin:/bin, HOME a new
# temporary directory, no DOTNET_* variables) and, where the kernel lets it, with the .NET installation
# hidden behind an empty mount, so nothing from the SDK can be found. Prints the archive's size, the
# unpacked size and the wall time of that first run.
#
#   src/Build/package.sh [--rid linux-x64] [--out artifacts/dist] [--check] [--keep]
#
# Another --rid (osx-arm64, win-x64) is untested: the apphost is renamed as on Linux. --check runs the archive
# here, so it only works for this machine's runtime; --keep keeps the check's directory.
#
# The archive is artifacts/dist/fsising-<version>-<rid>.tar.gz; the build's own bin/obj go to
# artifacts/package-build/, apart from the developer build's.
set -euo pipefail

rid=linux-x64
out=
check=false
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) rid=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --check) check=true; shift ;;
    --keep) keep=true; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: error: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${out:-$repo/artifacts/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

cli="$repo/src/FunctionSpace.Ising.Cli/FunctionSpace.Ising.Cli.csproj"
version=$(dotnet msbuild "$cli" -getProperty:Version)
name="fsising-$version-$rid"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

echo "package: publishing $name (self-contained)"
# FsiForceLibTorchSharpPatch: the archive runs on machines whose libstdc++ is unknown, so TorchSharp's native
# library is patched whatever this machine has (see src/Build/LibTorchSharpCompat.targets).
dotnet publish "$cli" -c Release -r "$rid" --self-contained true \
  --artifacts-path "$repo/artifacts/package-build" \
  -p:FsiForceLibTorchSharpPatch=true -o "$stage/$name/lib" 2>&1 | tail -n 3

# Layout: the command, README.txt, LICENSE, CITATION.cff and licenses/ at the top; the runtime, the libraries
# and the embedded MNIST in lib/.
top="$stage/$name"
app="$top/lib"
# The command is called fsising: `fsi` is F# Interactive's name (`dotnet fsi`). The apphost finds fsi.dll
# by the name compiled into it, so renaming the host is enough; it resolves its own symbolic link, so the
# top-level fsising (and any link to it, e.g. in ~/.local/bin) runs lib/fsising beside its files.
mv "$app/fsi" "$app/fsising"
ln -s lib/fsising "$top/fsising"

# libtorch's Python bindings and its test and mobile backends: nothing TorchSharp loads needs them
# (LibTorchSharp needs libtorch, libtorch_cpu and libc10; `readelf -d` shows none of these among them).
rm -f "$app"/libtorch_python.so "$app"/libnnapi_backend.so "$app"/libjitbackend_test.so \
      "$app"/libtorchbind_test.so "$app"/libbackend_with_compiler.so "$app"/libaoti_custom_ops.so

# Licences travel with the binaries they cover.
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
mkdir -p "$top/licenses"
cp "$repo/LICENSE" "$top/LICENSE"
cp "$repo/CITATION.cff" "$top/CITATION.cff"
cp "$repo/datasets/mnist/README.md" "$top/licenses/MNIST.md"
for package in torchsharp libtorch-cpu-linux-x64; do
  for file in "$packages/$package"/*/LICENSE*.txt; do
    [ -e "$file" ] && cp "$file" "$top/licenses/$package-$(basename "$file")"
  done
done
cat > "$top/README.txt" <<EOF
fsising $version ($rid, self-contained: no .NET installation needed)

  ./fsising --help
  ./fsising run --preset quick        # the whole pipeline on the embedded MNIST

To call it as \`fsising\` from anywhere: ln -s "\$PWD/fsising" ~/.local/bin/fsising (or add this
directory to PATH). Results go to models/runs/<name> under the current directory (--runs-dir to
choose). The PCA cache goes to \$FSI_CACHE_DIR, else \$XDG_CACHE_HOME/fsi, else ~/.cache/fsi.
Licences: LICENSE (this software, MIT), licenses/ (libtorch, TorchSharp, MNIST). How to cite: CITATION.cff.
EOF

archive="$out/$name.tar.gz"
tar -C "$stage" -czf "$archive.tmp" "$name"
mv "$archive.tmp" "$archive"
echo "package: $archive ($(du -h "$archive" | cut -f1), $(du -sh "$top" | cut -f1) unpacked)"

$check || exit 0

# ---- The check: an empty directory, a clean environment, no SDK. ----
try=$(mktemp -d)
$keep || trap 'rm -rf "$stage" "$try"' EXIT
mkdir -p "$try/home" "$try/work"
tar -C "$try" -xzf "$archive"
installed="$try/$name"
echo "check: unpacked into $installed ($(du -sh "$installed" | cut -f1))"

# Every directory a .NET host could be found in, to hide behind an empty mount.
dotnet_dirs=()
for candidate in "$(dirname "$(readlink -f "$(command -v dotnet)")")" /usr/share/dotnet /usr/lib/dotnet /usr/local/share/dotnet \
                 /opt/dotnet "$HOME/.dotnet" "$HOME/.nuget"; do
  [ -d "$candidate" ] && [[ " ${dotnet_dirs[*]-} " != *" $candidate "* ]] && dotnet_dirs+=("$candidate")
done

# The run itself, as a script of its own so that it can start inside a new mount namespace.
cat > "$try/first-run.sh" <<EOF
#!/bin/bash
for dir in "\$@"; do mount -t tmpfs -o size=1m fsi-hidden "\$dir" || exit 4; done
if command -v dotnet >/dev/null && dotnet --list-sdks 2>/dev/null | grep -q .; then
  echo "check: an SDK is still visible" >&2; exit 3
fi
cd "$try/work"
start=\$(date +%s%N)
"$installed/fsising" run --preset quick --quiet
status=\$?
end=\$(date +%s%N)
elapsed=\$(( (end - start) / 1000000 ))
echo "check: first run took \$((elapsed / 1000)).\$(printf %03d \$((elapsed % 1000))) s (exit \$status)"
exit \$status
EOF
chmod +x "$try/first-run.sh"
clean_env=(env -i PATH=/usr/bin:/bin HOME="$try/home" LANG=C.UTF-8)
if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
  echo "check: hiding ${dotnet_dirs[*]} behind empty mounts"
  "${clean_env[@]}" unshare --mount --propagation private "$try/first-run.sh" "${dotnet_dirs[@]}"
else
  echo "check: cannot hide the .NET installation here (needs root and mount namespaces); clean environment only"
  "${clean_env[@]}" "$try/first-run.sh"
fi
report="$try/work/models/runs/quick/report.md"
[ -s "$report" ] || { echo "check: FAILED: no report at $report" >&2; exit 1; }
echo "check: passed: $report written by the unpacked archive without the .NET SDK"
$keep && echo "check: kept $try"
exit 0
