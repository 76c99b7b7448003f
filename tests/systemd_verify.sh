#!/bin/sh
# systemd_verify.sh UNIT BINARY — checks the shipped service unit with
# `systemd-analyze verify`. The unit names /opt/jiaxiao/build/jiaxiao, which
# a test machine does not have and verify requires to exist: a copy with
# the built binary's path in its place is what gets verified.
set -eu
unit=$1
bin=$2
command -v systemd-analyze >/dev/null 2>&1 || {
	echo "systemd-analyze is missing (Debian package systemd)" >&2
	exit 1
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s#/opt/jiaxiao/build/jiaxiao#$bin#g" "$unit" >"$dir/jiaxiao.service"
grep -q "ExecStart=$bin serve" "$dir/jiaxiao.service"
out=$(systemd-analyze verify --man=no "$dir/jiaxiao.service" 2>&1) || {
	printf '%s\n' "$out" >&2
	exit 1
}
# verify exits 0 on some warnings (unknown keys, bad values): any line
# about our unit is a failure.
if printf '%s\n' "$out" | grep -q "jiaxiao.service"; then
	printf '%s\n' "$out" >&2
	exit 1
fi
echo "jiaxiao.service verified"
