#!/usr/bin/env python3
"""Writes a pause image for the CRI plugin's sandbox_image from the busybox OCI archive of
scripts/images.sh: the same single layer, with `sleep infinity` as its entrypoint and the
reference the CRI plugin looks for by default.

    make_pause_image.py BUSYBOX_OCI_TAR OUT_TAR REF
"""
import hashlib
import io
import json
import sys
import tarfile


def main():
    src, out, ref = sys.argv[1:4]
    with tarfile.open(src) as t:
        blobs = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    index = json.loads(blobs["index.json"])
    manifest_digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(blobs["blobs/sha256/" + manifest_digest])
    config = json.loads(blobs["blobs/sha256/" + manifest["config"]["digest"].split(":")[1]])
    config["config"]["Entrypoint"] = ["/bin/sleep", "infinity"]
    config["config"]["Cmd"] = None

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        blobs["blobs/sha256/" + d] = data
        return "sha256:" + d, len(data)

    cdig, csize = put(json.dumps(config, sort_keys=True).encode())
    manifest["config"] = dict(manifest["config"], digest=cdig, size=csize)
    mdig, msize = put(json.dumps(manifest, sort_keys=True).encode())
    index["manifests"] = [dict(index["manifests"][0], digest=mdig, size=msize,
                               annotations={"org.opencontainers.image.ref.name": ref})]
    blobs["index.json"] = json.dumps(index).encode()
    with tarfile.open(out, "w") as t:
        for name, data in blobs.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
