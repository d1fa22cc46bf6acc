#!/usr/bin/env python3
"""mkimage.py ROOTFS OUT.tar NAME [CMD...]: an OCI image archive of the directory ROOTFS.

The archive is an OCI image layout (oci-layout, index.json, blobs/sha256/...) in one tar file,
with one uncompressed layer, for `ctr image import OUT.tar` (containerd) or `podman load`; no
registry is needed. NAME (e.g. localhost/busybox:latest) is recorded as the image's name
(io.containerd.image.name) and its tag (org.opencontainers.image.ref.name). CMD defaults to sh.
"""
import hashlib
import io
import json
import os
import sys
import tarfile
import time


def blob(tar, data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    add(tar, "blobs/sha256/" + digest.split(":", 1)[1], data)
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def layer_of(rootfs):
    """The rootfs as an uncompressed tar, owned by root, in a stable order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for top, dirs, files in os.walk(rootfs):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                path = os.path.join(top, name)
                arc = os.path.relpath(path, rootfs)
                info = t.gettarinfo(path, arc)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                if info.isreg():
                    with open(path, "rb") as f:
                        t.addfile(info, f)
                else:
                    t.addfile(info)
    return buf.getvalue()


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    rootfs, out, name = argv[1], argv[2], argv[3]
    cmd = argv[4:] or ["sh"]
    layer = layer_of(rootfs)
    with tarfile.open(out, "w") as tar:
        layer_desc = blob(tar, layer, "application/vnd.oci.image.layer.v1.tar")
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "Cmd": cmd,
                "WorkingDir": "/",
            },
            "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
        }
        config_desc = blob(tar, json.dumps(config).encode(),
                           "application/vnd.oci.image.config.v1+json")
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_desc,
            "layers": [layer_desc],
        }
        manifest_desc = blob(tar, json.dumps(manifest).encode(),
                             "application/vnd.oci.image.manifest.v1+json")
        manifest_desc["annotations"] = {
            "io.containerd.image.name": name,
            "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1] if ":" in name.rsplit("/", 1)[-1] else "latest",
        }
        manifest_desc["platform"] = {"architecture": "amd64", "os": "linux"}
        add(tar, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        add(tar, "index.json",
            json.dumps({"schemaVersion": 2, "manifests": [manifest_desc]}).encode())


if __name__ == "__main__":
    main(sys.argv)
