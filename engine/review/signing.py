"""Ed25519 signatures of the approval and the manifest (``cryptography``).

Used by ``approval`` when finance signs an approval and by ``audit`` when ``payroll
verify --key PUB`` checks it. Keys are files, never command-line values: the private key
is a PEM (PKCS#8) file, optionally encrypted with the passphrase in the environment
variable ``PAYROLL_SIGN_PASSPHRASE``; the public key is a PEM file (or the raw 32 bytes in
base64). A signature file holds the base64 of the 64-byte signature of the exact bytes of
the file it signs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.errors import ConfigError

PASSPHRASE_ENV = "PAYROLL_SIGN_PASSPHRASE"


def load_private_key(path: Path, environ: dict[str, str] | None = None) -> Ed25519PrivateKey:
    """The signing key from a PEM file; its passphrase (if any) from the environment."""
    env = os.environ if environ is None else environ
    passphrase = env.get(PASSPHRASE_ENV)
    try:
        key = serialization.load_pem_private_key(
            path.read_bytes(), password=passphrase.encode() if passphrase else None)
    except OSError as exc:
        raise ConfigError(f"cannot read the signing key {path}: {exc.strerror or exc}") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a usable PEM private key (is {PASSPHRASE_ENV} "
                          f"set for an encrypted key?): {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file or from the base64 of its 32 raw bytes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the public key {path}: {exc.strerror or exc}") from exc
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_public_key(data)
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip(), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise ConfigError(f"{path} is not a usable public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{path} is not an Ed25519 public key")
    return key


def public_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: sha256 of its raw bytes, 16 hex digits."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The signature file's content for ``data``."""
    return base64.b64encode(key.sign(data)) + b"\n"


def check(key: Ed25519PublicKey, data: bytes, signature_file: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature_file.strip(), validate=True), data)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
