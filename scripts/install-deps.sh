#!/bin/sh
# install-deps.sh — installs the Debian packages jiaxiao needs to build,
# test and benchmark. As root it runs apt-get; otherwise it prints the
# command to run. Node.js: the machine's node and npm when present
# (Debian's npm package conflicts with a Node that brings its own npm),
# else Debian's nodejs and npm.
# nginx is for bench/load.sh (jiaxiao behind the shipped proxy settings).
# libimage-exiftool-perl remakes tests/fixtures/sideways-gps.jpg and tags
# the photo of bench/files.sh.
set -eu

pkgs="build-essential cmake pkg-config clang-format
libcivetweb-dev liblua5.4-dev libsqlite3-dev libcjson-dev libsodium-dev
libcurl4-openssl-dev libssl-dev libzip-dev libexpat1-dev libfreexl-dev libxlsxwriter-dev libqrencode-dev
libvips-dev libimage-exiftool-perl
chromium fonts-noto-cjk wrk curl nginx sqlite3 valgrind
systemd libmagic-dev"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	pkgs="$pkgs nodejs npm"
fi

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "jiaxiao needs these Debian packages:$missing" >&2
	echo "install them with:  sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
