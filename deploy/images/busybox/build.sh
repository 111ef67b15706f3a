#!/bin/sh
# Builds the `busybox` container image into OUT/busybox.oci.tar: an OCI image layout (image-spec v1) in a tar, made
# from Debian's busybox-static with tar, gzip, sha256sum and printf alone (no registry, no skopeo, no docker). One
# gzip'd layer: /bin/busybox and a symlink per applet, /etc/passwd and /etc/group (root, nobody), /tmp, and
# /var/www/index.html for `httpd -f -p 8080 -h /var/www`. The config's Cmd is `sh`. Import it with
#   corral image import OUT/busybox.oci.tar --name busybox
# The build is reproducible (fixed times, owners and order): the same package gives the same digests, and a
# rebuild is skipped while OUT/stamp matches. The package is fetched with `apt-get download` into OUT/download.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: build.sh OUT" >&2
    exit 2
fi
out=$1
PATH=$PATH:/sbin:/usr/sbin
for tool in apt-get dpkg-deb tar gzip sha256sum; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build.sh: '$tool' not found: the busybox image is built from Debian's busybox-static" >&2
        exit 1
    fi
done
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/download"
out=$(cd "$out" && pwd)
deb=$(ls "$out/download"/busybox-static_*.deb 2>/dev/null | tail -n 1 || true)
if [ -z "$deb" ]; then
    (cd "$out/download" && apt-get download busybox-static >/dev/null 2>&1) || {
        echo "build.sh: apt-get download busybox-static failed (run apt-get update?)" >&2
        exit 1
    }
    deb=$(ls "$out/download"/busybox-static_*.deb | tail -n 1)
fi
stamp="$(basename "$deb") $(cksum < "$here/build.sh")"
if [ -f "$out/busybox.oci.tar" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/deb"
version=$(dpkg-deb -f "$deb" Version | sed 's/^[0-9]*://; s/[^A-Za-z0-9_.-].*//')
root="$work/root"
mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/tmp" "$root/var/www" "$root/proc" "$root/sys" "$root/dev"
cp "$work/deb/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
printf '<h1>Hello from a Corral container</h1>\n' > "$root/var/www/index.html"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"

# The layer: an uncompressed tar first (its sha256 is the config's diff_id), then gzip'd (the blob's digest).
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$root" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 < "$work/layer.tar" > "$work/layer.tar.gz"

layout="$work/layout"
mkdir -p "$layout/blobs/sha256"
put() { # put FILE: stores FILE as a blob; prints "sha256 size"
    sha=$(sha256sum "$1" | cut -d' ' -f1)
    cp "$1" "$layout/blobs/sha256/$sha"
    echo "$sha $(wc -c < "$1")"
}
set -- $(put "$work/layer.tar.gz")
layer_sha=$1 layer_size=$2
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"deploy/images/busybox/build.sh from busybox-static %s"}]}' \
    "$diff_id" "$version" > "$work/config.json"
set -- $(put "$work/config.json")
config_sha=$1 config_size=$2
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config_sha" "$config_size" "$layer_sha" "$layer_size" > "$work/manifest.json"
set -- $(put "$work/manifest.json")
manifest_sha=$1 manifest_size=$2
printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"busybox:%s"}}]}' \
    "$manifest_sha" "$manifest_size" "$version" > "$layout/index.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$out/busybox.oci.tar.partial" .
mv "$out/busybox.oci.tar.partial" "$out/busybox.oci.tar"
echo "$stamp" > "$out/stamp"
