#!/bin/bash
# The systemd units pass `systemd-analyze verify` without a single warning (unknown keys are only warnings
# there), keep their hardening (exposure score), and give fsrelay longer to stop than its default shutdown
# flush. verify needs ExecStart's binary, so it checks copies that run the built one instead of /usr/bin/fsrelay.
# Usage: units_test.sh FSRELAY_BINARY UNIT_DIR
source "$(dirname "$0")/common.sh"
bin=$(realpath "$1") units=$2
command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
make_tmp
# The highest exposure `systemd-analyze security` may report (0-100; the units score 41 today).
max_exposure=45

# fsrelay's default <shutdown timeoutSeconds>, as --check reports it for a minimal configuration.
mkdir "$TMP/src" || fail "mkdir"
printf '<head version="2.5"><sersync><localpath watch="%s"><remote ip="127.0.0.1" name="m"/></localpath></sersync></head>\n' \
  "$TMP/src" > "$TMP/minimal.xml"
flush=$("$bin" --check -o "$TMP/minimal.xml" | sed -n 's/.*shutdown: timeoutSeconds=\([0-9]*\).*/\1/p')
[[ $flush =~ ^[0-9]+$ ]] || fail "fsrelay --check printed no shutdown timeoutSeconds"

for unit in fsrelay.service fsrelay@.service; do
  [[ -f $units/$unit ]] || fail "$units/$unit is missing"
  grep -q '^ExecStart=/usr/bin/fsrelay ' "$units/$unit" || fail "$unit: ExecStart does not run /usr/bin/fsrelay"
  sed "s|/usr/bin/fsrelay|$bin|g" "$units/$unit" > "$TMP/$unit"
  # --man=no: the man page is not installed on this machine.
  out=$(cd "$TMP" && systemd-analyze verify --man=no "./$unit" 2>&1) || fail "systemd-analyze verify $unit: $out"
  [[ -z $out ]] || fail "systemd-analyze verify $unit warns: $out"
  systemd-analyze security --offline=yes --threshold=$max_exposure "$TMP/$unit" > "$TMP/security" 2>&1 ||
    fail "$unit: hardening weaker than exposure $max_exposure: $(tail -1 "$TMP/security")"
  stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\?$/\1/p' "$units/$unit")
  [[ -n $stop && $stop -gt $flush ]] || fail "$unit: TimeoutStopSec=${stop:-unset} s is not above the ${flush} s shutdown flush"
done
grep -q '^ExecStart=/usr/bin/fsrelay $FSRELAY_OPTS -o /etc/fsrelay/%I\.xml$' "$units/fsrelay@.service" ||
  fail "fsrelay@.service: the instance name does not pick /etc/fsrelay/NAME.xml"

# A broken unit makes this test fail: an unknown key is only a warning, which the check above catches.
printf '[Service]\nExecStart=%s\nTypo=1\n' "$bin" > "$TMP/broken.service"
out=$(cd "$TMP" && systemd-analyze verify --man=no ./broken.service 2>&1)
[[ -n $out ]] || fail "systemd-analyze verify stays silent on an unknown key: the check above proves nothing"
echo "ok: units verify; exposure <= $max_exposure; TimeoutStopSec above the ${flush} s flush"
