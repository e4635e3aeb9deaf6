# Sourced by the scripts that set things up (setup.sh, sanitize.sh): prints
# progress and installs the Debian packages that are missing.
#
#   source "$root/scripts/packages.sh"
#   install_missing g++ cmake ...

step() { printf '\n==> %s\n' "$*"; }

# Installs those of the named Debian packages that are not installed yet
# (apt-get update first, only then); says "all present" otherwise.
install_missing() {
  step "Checking Debian packages: $*"
  local missing=() p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    echo "all present"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  step "Installing missing packages: ${missing[*]}"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y \
    --no-install-recommends "${missing[@]}"
}
