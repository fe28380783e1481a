#!/bin/bash
# cpack builds the fsrelay and fsrelay-dev .deb pair from the build tree; each holds what it should and
# nothing of the other's; the dependencies are right; and the binary unpacked from the package (dpkg-deb -x,
# nothing installed on this machine) finds the plugins unpacked beside it and loads all five.
# Usage: deb_test.sh BUILD_DIR CPACK_COMMAND
source "$(dirname "$0")/common.sh"
build=$1 cpack=$2
command -v dpkg-deb >/dev/null || skip "no dpkg-deb"
make_tmp
plugins=(command http refreshcdn rsync socket)

"$cpack" --config "$build/CPackConfig.cmake" -B "$TMP/out" > "$TMP/cpack.log" 2>&1 || fail "cpack: $(cat "$TMP/cpack.log")"
shopt -s nullglob
runtime=("$TMP"/out/fsrelay_*.deb) dev=("$TMP"/out/fsrelay-dev_*.deb) all=("$TMP"/out/*.deb)
[[ ${#runtime[@]} -eq 1 && ${#dev[@]} -eq 1 && ${#all[@]} -eq 2 ]] || fail "expected fsrelay and fsrelay-dev .debs, got: ${all[*]##*/}"
runtime=${runtime[0]} dev=${dev[0]}

# The contents, as "MODE PATH" lines without the leading ".".
listing() { dpkg-deb -c "$1" | awk '{ sub(/^\./, "", $6); print $1, $6 }'; }
listing "$runtime" > "$TMP/runtime.txt" && listing "$dev" > "$TMP/dev.txt" || fail "dpkg-deb -c"
has() {  # has LISTING REGEX WHAT: some path of LISTING matches REGEX
  grep -qE " $2\$" "$TMP/$1.txt" || fail "$1 package lacks $3 (no path matching $2): $(cut -d' ' -f2 "$TMP/$1.txt" | tr '\n' ' ')"
}
has runtime '/usr/bin/fsrelay' "the binary"
for p in "${plugins[@]}"; do has runtime "/usr/lib/([^/]+/)?fsrelay/plugins/fsrelay-$p\.so" "the $p plugin"; done
[[ $(grep -cE '/fsrelay/plugins/fsrelay-[^/]*\.so$' "$TMP/runtime.txt") -eq ${#plugins[@]} ]] ||
  fail "runtime package: not exactly ${#plugins[@]} plugins: $(grep -E '\.so$' "$TMP/runtime.txt")"
# The loader refuses a plugin others or the group may write.
if grep -E '/fsrelay/plugins/.*\.so$' "$TMP/runtime.txt" | grep -qv '^-rwxr-xr-x '; then fail "plugin modes: $(grep '\.so$' "$TMP/runtime.txt")"; fi
has runtime '/usr/lib/systemd/system/fsrelay\.service' "the systemd unit"
has runtime '/usr/lib/systemd/system/fsrelay@\.service' "the systemd template unit"
has runtime '/usr/share/bash-completion/completions/fsrelay' "the bash completion"
has runtime '/usr/share/doc/fsrelay/examples/confxml\.xml' "the example config"
has runtime '/usr/share/doc/fsrelay/examples/demo\.xml' "the demo config"
if [[ -f $build/dist/fsrelay.1 ]]; then
  has runtime '/usr/share/man/man1/fsrelay\.1\.gz' "the man page"
elif command -v help2man >/dev/null; then
  fail "help2man is installed but the build made no man page"
fi
has dev '/usr/include/fsrelay/plugin\.hpp' "the SDK header"
has dev '/usr/lib/([^/]+/)?cmake/fsrelay-sdk/fsrelay-sdk-config\.cmake' "the CMake package"
has dev '/usr/lib/([^/]+/)?cmake/fsrelay-sdk/fsrelay-sdk-config-version\.cmake' "the CMake package version"
has dev '/usr/lib/([^/]+/)?cmake/fsrelay-sdk/fsrelay-plugin\.cmake' "fsrelay_add_plugin"
if grep -qE ' /usr/(include|lib/([^/]+/)?cmake)/' "$TMP/runtime.txt"; then fail "SDK files in the runtime package"; fi
if grep -qE ' /usr/(bin|lib/([^/]+/)?fsrelay|lib/systemd)/.' "$TMP/dev.txt"; then fail "runtime files in the dev package"; fi

# Control fields: names, the rsync and shared-library dependencies, the exact-version link between the two.
field() { dpkg-deb -f "$1" "$2"; }
[[ $(field "$runtime" Package) == fsrelay && $(field "$dev" Package) == fsrelay-dev ]] || fail "package names"
version=$(field "$runtime" Version)
[[ -n $version && $(field "$dev" Version) == "$version" ]] || fail "versions differ: $version, $(field "$dev" Version)"
depends=$(field "$runtime" Depends)
grep -qE '(^|, )rsync( |,|$)' <<<"$depends" || fail "fsrelay does not depend on rsync: $depends"
grep -qE '(^|, )libsystemd0( |,|$)' <<<"$depends" || fail "fsrelay lacks the libsystemd0 dependency (dpkg-shlibdeps): $depends"
grep -qE '(^|, )libc6 \(>= ' <<<"$depends" || fail "no versioned libc6 dependency, so dpkg-shlibdeps did not run: $depends"
grep -qF "fsrelay (= $version)" <<<"$(field "$dev" Depends)" || fail "fsrelay-dev does not depend on fsrelay (= $version): $(field "$dev" Depends)"
for script in postinst prerm postrm; do
  dpkg-deb -I "$runtime" "$script" 2>/dev/null | grep -q 'systemctl' || fail "fsrelay package has no $script calling systemctl"
done

# Unpacked anywhere, the binary finds its plugins relative to itself, not in the build tree or /usr.
dpkg-deb -x "$runtime" "$TMP/root" || fail "dpkg-deb -x"
root=$(cd "$TMP/root" && pwd -P)
"$root/usr/bin/fsrelay" --version | grep -qF "fsrelay $version" || fail "unpacked fsrelay --version does not say $version"
"$root/usr/bin/fsrelay" --list-plugins > "$TMP/plugins.txt" 2>&1 || fail "unpacked fsrelay --list-plugins: $(cat "$TMP/plugins.txt")"
# One line per plugin that loaded: NAME, version, API, path (the binary's folder + "/../lib/...").
sed -i 's|/usr/bin/\.\./|/usr/|' "$TMP/plugins.txt"
for p in "${plugins[@]}"; do
  grep -qE "^$p"$'\t'"[^"$'\t'"]+"$'\t'"API [0-9.]+"$'\t'"$root/usr/lib/([^/]+/)?fsrelay/plugins/fsrelay-$p\.so" "$TMP/plugins.txt" ||
    fail "unpacked fsrelay --list-plugins does not load the unpacked $p plugin: $(cat "$TMP/plugins.txt")"
done
if grep -E '\.so' "$TMP/plugins.txt" | grep -vqF "$root/"; then fail "plugins listed from outside the package: $(cat "$TMP/plugins.txt")"; fi

# The SDK unpacked beside it is found by find_package from that tree (headers located relative to the
# CMake files, whatever the libdir depth) and reports the binary's plugin API.
dpkg-deb -x "$dev" "$TMP/root" || fail "dpkg-deb -x $dev"
mkdir "$TMP/consumer" && cat > "$TMP/consumer/CMakeLists.txt" <<'CMAKE' || fail "consumer project"
cmake_minimum_required(VERSION 3.25)
project(consumer NONE)
find_package(fsrelay-sdk 1.0 REQUIRED CONFIG)
get_target_property(inc fsrelay::sdk INTERFACE_INCLUDE_DIRECTORIES)
message(STATUS "sdk include=${inc} api=${FSRELAY_SDK_API_VERSION}")
CMAKE
out=$(cmake -S "$TMP/consumer" -B "$TMP/consumer/build" -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF 2>&1) ||
  fail "find_package(fsrelay-sdk) from the unpacked fsrelay-dev: $out"
api=$("$root/usr/bin/fsrelay" --version | grep -oE 'plugin API [0-9]+\.[0-9]+' | cut -d' ' -f3)
grep -qF "sdk include=$root/usr/include api=$api" <<<"$out" || fail "fsrelay-dev's CMake package: $out (binary API $api)"
echo "ok: $(basename "$runtime") and $(basename "$dev")"
