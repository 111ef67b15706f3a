# Sourced by Corral's scripts: installs the Debian packages they rely on when they are missing.
corral_require_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "corral: missing Debian packages: ${missing[*]} (install them with: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "==> Installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
# Real guests (the Debian cloud kernel, busybox-static) are fetched with apt-get download, which needs the package
# lists: fetches them when apt does not know these packages yet.
corral_require_package_lists() {
    apt-cache show busybox-static linux-image-cloud-amd64 >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "corral: the package lists are missing; run: sudo apt-get update" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
}
# curl: the scripts' health probes and the Maven Wrapper's download of Maven.
corral_require_packages curl ca-certificates
