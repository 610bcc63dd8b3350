#!/usr/bin/env bash
# Makes sure the browsers the e2e tests drive are on this machine, so `npm test` (through `pretest`)
# and `.ci/run` need no hand set-up. Nothing is ever downloaded by the test tools themselves: the
# browsers are Debian packages.
#
#   what                 default path                                    override             package
#   Chromium             /usr/bin/chromium                               CHROMIUM_PATH        chromium
#   Firefox ESR          /usr/bin/firefox-esr                            FIREFOX_PATH         firefox-esr
#   WebKitWebDriver      /usr/bin/WebKitWebDriver                        WEBKIT_DRIVER_PATH   webkit2gtk-driver
#   MiniBrowser (WebKit) /usr/lib/<arch>/webkit2gtk-4.1/MiniBrowser      WEBKIT_BROWSER_PATH  libwebkit2gtk-4.1-0
#   Xvfb                 /usr/bin/Xvfb                                   XVFB_PATH            xvfb
#
# (e2e/engines/webkit.ts reads the same variables; it starts its own Xvfb on a free display.)
#
# Everything present: one line, well under a second (only file tests, no browser is started).
# Something missing and we are root (or have password-less sudo): `apt-get install` exactly the
# missing packages, then check again. Otherwise: one line per missing package and the command to
# run, exit status 1, within a second — instead of every e2e test failing to launch its browser.
set -uo pipefail

me="ensure-browsers"

# The MiniBrowser sits in a multiarch directory; take whichever this machine has.
default_minibrowser() {
  local candidate
  for candidate in /usr/lib/*/webkit2gtk-4.1/MiniBrowser; do
    [[ -e "$candidate" ]] && { printf '%s' "$candidate"; return; }
  done
  printf '%s' "/usr/lib/$(uname -m)-linux-gnu/webkit2gtk-4.1/MiniBrowser"
}

# One row per executable: label|path|package|variable that overrides the path ('' = none).
rows() {
  printf '%s\n' \
    "chromium|${CHROMIUM_PATH:-/usr/bin/chromium}|chromium|CHROMIUM_PATH" \
    "firefox|${FIREFOX_PATH:-/usr/bin/firefox-esr}|firefox-esr|FIREFOX_PATH" \
    "WebKitWebDriver|${WEBKIT_DRIVER_PATH:-/usr/bin/WebKitWebDriver}|webkit2gtk-driver|WEBKIT_DRIVER_PATH" \
    "MiniBrowser|${WEBKIT_BROWSER_PATH:-$(default_minibrowser)}|libwebkit2gtk-4.1-0|WEBKIT_BROWSER_PATH" \
    "Xvfb|${XVFB_PATH:-/usr/bin/Xvfb}|xvfb|XVFB_PATH"
}

missing_rows=()
missing_packages=()

check() {
  missing_rows=()
  missing_packages=()
  local label path package variable
  while IFS='|' read -r label path package variable; do
    [[ -x "$path" && ! -d "$path" ]] && continue
    missing_rows+=("$label|$path|$package|$variable")
    # A package appears once even when several of its files are missing.
    [[ " ${missing_packages[*]-} " == *" $package "* ]] || missing_packages+=("$package")
  done < <(rows)
}

# One line per missing executable, naming its package and how to point elsewhere.
report() {
  local row label path package variable
  for row in "${missing_rows[@]}"; do
    IFS='|' read -r label path package variable <<<"$row"
    if [[ -n "$variable" ]]; then
      printf '%s: missing %s: no executable at %s (Debian package %s; or set %s to another path)\n' "$me" "$label" "$path" "$package" "$variable" >&2
    else
      printf '%s: missing %s: no executable at %s (Debian package %s)\n' "$me" "$label" "$path" "$package" >&2
    fi
  done
}

check
if [[ ${#missing_rows[@]} -eq 0 ]]; then
  echo "$me: chromium, firefox-esr, webkit2gtk-driver and xvfb found"
  exit 0
fi

install_command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing_packages[*]}"

if [[ "$EUID" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  report
  printf '%s: not root, so nothing was installed; run as root: %s\n' "$me" "$install_command" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  report
  printf '%s: apt-get is not available here; install the packages above with your package manager, or set the path variables\n' "$me" >&2
  exit 1
fi

report
echo "$me: installing ${missing_packages[*]} with apt-get"
if ! "${as_root[@]}" apt-get update -q || ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_packages[@]}"; then
  printf '%s: apt-get failed (see above); the command was: %s\n' "$me" "$install_command" >&2
  exit 1
fi

check
if [[ ${#missing_rows[@]} -gt 0 ]]; then
  report
  printf '%s: still missing after apt-get install; if a path variable is set, does it point at the right file?\n' "$me" >&2
  exit 1
fi
echo "$me: chromium, firefox-esr, webkit2gtk-driver and xvfb installed"
