#!/bin/bash
# Runs inside the throwaway Debian root (see package-test.sh), as root, in a
# network namespace of its own. VERSION_N and VERSION_NEXT name the debs in /tmp.
set -euo pipefail
api=http://127.0.0.1:8080
log=/tmp/streamhostd.log
daemon_pid=
step() { echo "-- $*"; }
fail() {
  echo "in-root: FAILED: $*" >&2
  echo "--- last lines of the daemon log ---" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
}
json_field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" | head -n 1; }
call() { curl -sS -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" "$@"; }

# The unit's ExecStart, run as its User= the way systemd would (no systemd in a chroot).
start_daemon() {
  local unit=/usr/lib/systemd/system/streamhost.service
  local exec_start user
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  user=$(sed -n 's/^User=//p' "$unit")
  [ -n "$exec_start" ] && [ "$user" = streamhost ] || fail "the unit has no ExecStart or User=streamhost"
  # setpriv execs (no PAM session, no extra process), as systemd does for User=.
  setpriv --reuid="$user" --regid="$user" --init-groups -- $exec_start >>"$log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 1 200); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' $api/readyz)" = 200 ]; then
      return 0
    fi
    kill -0 "$daemon_pid" 2>/dev/null || fail "streamhostd exited before /readyz answered"
    sleep 0.1
  done
  fail "/readyz did not answer 200 within 20 s"
}
stop_daemon() {
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || fail "streamhostd did not exit 0 on SIGTERM"
}

step "install streamhost $VERSION_N"
dpkg -i /tmp/streamhost-n.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i of $VERSION_N"; }
getent passwd streamhost >/dev/null || fail "no streamhost user"
[ "$(stat -c '%U %a' /var/lib/streamhost)" = "streamhost 700" ] || fail "/var/lib/streamhost is $(stat -c '%U %a' /var/lib/streamhost)"
[ "$(stat -c '%G %a' /etc/streamhost/streamhost.yaml)" = "streamhost 640" ] || fail "config mode"
[ -L /etc/systemd/system/multi-user.target.wants/streamhost.service ] || fail "the unit is not enabled"
man -w streamhostd >/dev/null 2>&1 || [ -e /usr/share/man/man8/streamhostd.8.gz ] || fail "no manual page"

step "start from the unit's ExecStart as the service user"
start_daemon
[ "$(stat -c %U "/proc/$daemon_pid")" = streamhost ] || fail "streamhostd does not run as streamhost"

step "first key: one command, as root"
KEY=$(streamhostd keys create --name admin --scopes admin 2>/dev/null)
[[ $KEY == sk_* ]] || fail "keys create printed '$KEY'"
[ -z "$(find /var/lib/streamhost ! -user streamhost)" ] || fail "files in /var/lib/streamhost not owned by streamhost"
plugins=$(call $api/api/plugins)
echo "$plugins" | grep -q '"datagen"' || fail "/api/plugins: $plugins"

step "the web console from /usr/share/streamhost/console"
console=$(curl -s -D /tmp/console-head.txt $api/console/)
echo "$console" | grep -q 'app.js' || fail "/console/ did not serve the console: $console"
grep -qi "^content-security-policy: default-src 'none'" /tmp/console-head.txt || fail "/console/ has no CSP: $(cat /tmp/console-head.txt)"
[ "$(curl -s -o /dev/null -w '%{http_code}' $api/console/vendor/uPlot.esm.js)" = 200 ] || fail "uPlot is not served"

step "streams in several states"
pl=$(call -d '{"name":"upgrade"}' $api/api/pipelines | json_field id)
run=$(call -d "{\"name\":\"runs\",\"sourceType\":\"datagen\",\"pipelineId\":\"$pl\",\"config\":{\"rate_per_second\":200}}" $api/api/streams | json_field id)
paused=$(call -d "{\"name\":\"paused\",\"sourceType\":\"datagen\",\"pipelineId\":\"$pl\",\"config\":{\"rate_per_second\":200}}" $api/api/streams | json_field id)
idle=$(call -d "{\"name\":\"idle\",\"sourceType\":\"datagen\",\"pipelineId\":\"$pl\",\"config\":{\"rate_per_second\":200}}" $api/api/streams | json_field id)
call -X POST $api/api/streams/$run/start >/dev/null
call -X POST $api/api/streams/$paused/start >/dev/null
sleep 1
call -X POST $api/api/streams/$paused/pause >/dev/null
sleep 1
[ "$(call $api/api/streams/$paused | json_field status)" = paused ] || fail "stream not paused"
[ "$(call $api/api/streams/$run | json_field status)" = running ] || fail "stream not running"
first_events() { call "$api/api/pipelines/$pl/events?after=0&limit=3" | grep -o '"n":[0-9]*' | tr '\n' ' '; }
first_event=$(first_events)
[ -n "$first_event" ] || fail "no events in the pipeline"
ls /var/lib/streamhost

step "upgrade to $VERSION_NEXT while it runs, then the restart systemd would do"
dpkg -i /tmp/streamhost-next.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "upgrade to $VERSION_NEXT"; }
before=$(call $api/api/streams/$run | json_field committed_offset)
stop_daemon
start_daemon
streamhostd --version | grep -q "$VERSION_NEXT" || fail "streamhostd --version: $(streamhostd --version)"
[ "$(cat /var/lib/streamhost/store-schema-version)" -gt 1 ] || fail "the store schema did not migrate"
[ "$(call $api/api/streams/$paused | json_field status)" = paused ] || fail "the paused stream did not stay paused"
[ "$(call $api/api/streams/$idle | json_field status)" = created ] || fail "the never-started stream changed state"
for _ in $(seq 1 100); do
  [ "$(call $api/api/streams/$run | json_field status)" = running ] && break
  sleep 0.1
done
[ "$(call $api/api/streams/$run | json_field status)" = running ] || fail "the running stream did not resume"
sleep 1.5
after=$(call $api/api/streams/$run | json_field committed_offset)
echo "running stream committed offset: $before before the upgrade, $after after"
[ "${after:-0}" -gt "${before:-0}" ] || fail "the running stream did not go on after the upgrade ($before -> $after)"
[ "$(first_events)" = "$first_event" ] || fail "the journal's first events changed: '$first_event' -> '$(first_events)'"

step "downgrade to $VERSION_N is refused (the store is newer)"
if dpkg -i /tmp/streamhost-n.deb >/tmp/dpkg.log 2>&1; then
  cat /tmp/dpkg.log
  fail "the downgrade was accepted"
fi
grep "refuses to replace" /tmp/dpkg.log || { cat /tmp/dpkg.log; fail "no refusal sentence"; }
dpkg-query -W -f='${Version} ${Status}\n' streamhost | grep -q "^$VERSION_NEXT install ok installed" \
  || fail "after the refused downgrade: $(dpkg-query -W -f='${Version} ${Status}' streamhost)"
[ "$(curl -s -o /dev/null -w '%{http_code}' $api/readyz)" = 200 ] || fail "the daemon stopped answering"
stop_daemon

step "purge without agreement keeps the data and the user"
dpkg --purge streamhost >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "purge"; }
[ -e /var/lib/streamhost/streamhost.db ] || fail "purge removed the store without agreement"
getent passwd streamhost >/dev/null || fail "purge removed the user without agreement"
[ ! -e /etc/streamhost/streamhost.yaml ] || fail "purge left the conffile"
[ ! -e /etc/systemd/system/multi-user.target.wants/streamhost.service ] || fail "purge left the unit enabled"

step "purge with agreement (debconf preseed) removes them"
dpkg -i /tmp/streamhost-next.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "reinstall"; }
echo "streamhost streamhost/purge_data boolean true" | debconf-set-selections
dpkg --purge streamhost >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "purge"; }
[ ! -e /var/lib/streamhost ] || fail "purge kept /var/lib/streamhost after agreement"
! getent passwd streamhost >/dev/null || fail "purge kept the user after agreement"
echo "in-root: all checks passed"
