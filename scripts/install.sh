#!/usr/bin/env bash
# Installs kapsoctl from a release archive: downloads
#   $KAPSOCTL_BASE_URL/v$KAPSOCTL_VERSION/kapsoctl-$KAPSOCTL_VERSION-linux-$ARCH.tar.gz
# and its .sha256, refuses the archive unless its SHA-256 is the one the .sha256 file states (and,
# when KAPSOCTL_SHA256 is set, that one too), and installs the binary as
# $KAPSOCTL_INSTALL_DIR/kapsoctl. Nothing is written to the install directory unless every check
# passed. The setup action (action.yml) runs this; it works outside GitHub Actions the same way:
#
#   curl -fsSL https://raw.githubusercontent.com/kapsoctl/kapsoctl/v0.2.0/scripts/install.sh | bash
#
# KAPSOCTL_VERSION      the release to install (default: this script's own release)
# KAPSOCTL_BASE_URL     where releases live (default: the repository's GitHub releases); https,
#                       or http on a loopback address only (a checksum fetched over plain http from
#                       elsewhere proves nothing)
# KAPSOCTL_INSTALL_DIR  where kapsoctl goes (default: ~/.local/bin)
# KAPSOCTL_SHA256       optional: the archive's expected SHA-256, pinned by the caller
#
# `install.sh --print-version` prints the version it would install and does nothing else.
set -euo pipefail

say() { printf 'kapsoctl install: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

VERSION="${KAPSOCTL_VERSION:-0.2.0}"
VERSION="${VERSION#v}"
BASE_URL="${KAPSOCTL_BASE_URL:-https://github.com/kapsoctl/kapsoctl/releases/download}"
BASE_URL="${BASE_URL%/}"
INSTALL_DIR="${KAPSOCTL_INSTALL_DIR:-${HOME:-}/.local/bin}"
PINNED="${KAPSOCTL_SHA256:-}"

[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] \
  || fail "KAPSOCTL_VERSION '$VERSION' is not a release version (like 0.2.0)"
if [ "${1:-}" = "--print-version" ]; then echo "$VERSION"; exit 0; fi
case "$BASE_URL" in
  https://*) ;;
  http://127.0.0.1[:/]* | http://localhost[:/]* | http://\[::1\][:/]*) ;;
  *) fail "KAPSOCTL_BASE_URL must be an https:// URL (or http:// on loopback): '$BASE_URL'" ;;
esac
[ -n "$INSTALL_DIR" ] || fail "KAPSOCTL_INSTALL_DIR is not set and there is no HOME"
[ "$(uname -s)" = "Linux" ] || fail "release archives are built for Linux only; this is $(uname -s) (build from source)"
case "$(uname -m)" in
  x86_64 | amd64) ARCH=x86_64 ;;
  aarch64 | arm64) ARCH=aarch64 ;;
  *) fail "no release archive for $(uname -m) (there are x86_64 and aarch64)" ;;
esac
command -v curl >/dev/null || fail "curl is needed to download the archive"
command -v sha256sum >/dev/null || fail "sha256sum is needed to check the archive"

NAME="kapsoctl-$VERSION-linux-$ARCH"
URL="$BASE_URL/v$VERSION/$NAME.tar.gz"
WORK="$(mktemp -d)"
STAGED="$INSTALL_DIR/.kapsoctl.$$"
trap 'rm -rf "$WORK"; rm -f "$STAGED"' EXIT

fetch() { # URL FILE: a download that says which URL failed and why
  local code
  code=$(curl -sSL --proto '=https,http' --retry 3 --retry-delay 1 --connect-timeout 20 -o "$2" -w '%{http_code}' "$1") \
    || fail "cannot download $1 (curl could not complete the request)"
  case "$code" in
    200) ;;
    404) fail "there is no kapsoctl $VERSION for linux-$ARCH at $1 (404 Not Found): check KAPSOCTL_VERSION and KAPSOCTL_BASE_URL" ;;
    *) fail "cannot download $1: the server answered HTTP $code" ;;
  esac
}

say "downloading $URL"
fetch "$URL" "$WORK/$NAME.tar.gz"
fetch "$URL.sha256" "$WORK/$NAME.tar.gz.sha256"

EXPECTED="$(awk 'NR == 1 { print tolower($1) }' "$WORK/$NAME.tar.gz.sha256")"
[[ "$EXPECTED" =~ ^[0-9a-f]{64}$ ]] || fail "$URL.sha256 does not hold a SHA-256 checksum: nothing installed"
ACTUAL="$(sha256sum "$WORK/$NAME.tar.gz" | awk '{ print $1 }')"
if [ "$ACTUAL" != "$EXPECTED" ]; then
  fail "the archive's checksum does not match $NAME.tar.gz.sha256 (expected $EXPECTED, got $ACTUAL): the download is damaged or was tampered with; nothing installed"
fi
if [ -n "$PINNED" ] && [ "$ACTUAL" != "$(printf '%s' "$PINNED" | tr 'A-F' 'a-f')" ]; then
  fail "the archive's checksum is not the pinned KAPSOCTL_SHA256 (expected $PINNED, got $ACTUAL): nothing installed"
fi

tar -xzf "$WORK/$NAME.tar.gz" -C "$WORK" "$NAME/kapsoctl" 2>/dev/null \
  || fail "the archive holds no $NAME/kapsoctl: nothing installed"
GOT="$("$WORK/$NAME/kapsoctl" --version 2>/dev/null)" || fail "the downloaded kapsoctl does not run on this machine: nothing installed"
[ "$GOT" = "$VERSION" ] || fail "the archive for $VERSION holds kapsoctl $GOT: nothing installed"

mkdir -p "$INSTALL_DIR"
# Into place in one rename: a kapsoctl already there is never left half written.
install -m 0755 "$WORK/$NAME/kapsoctl" "$STAGED" || fail "cannot write to $INSTALL_DIR"
mv -f "$STAGED" "$INSTALL_DIR/kapsoctl"
say "installed kapsoctl $VERSION as $INSTALL_DIR/kapsoctl"
case ":${PATH:-}:" in
  *":$INSTALL_DIR:"*) ;;
  *) say "note: $INSTALL_DIR is not on PATH" ;;
esac
