"""A request body's MD5 and flexible checksum, computed beside the encryption and the write.

hashlib and zlib release the GIL on large buffers, so for a large body the digests run on worker
threads while the handler's thread encrypts and writes the same bytes (the machine's second core
does the hashing); a small body is hashed at once, where a thread hand-off would cost more than
it saves. Either way the handler verifies the digests before it commits anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from strongroom.services.s3 import checksums

PARALLEL_FROM = 4 * 1024 * 1024
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="strongroom-s3-digest")


def _run(work: Callable[[], bytes | str], parallel: bool) -> Future[bytes | str]:
    if parallel:
        return _POOL.submit(work)
    done: Future[bytes | str] = Future()
    done.set_result(work())
    return done


class BodyDigests:
    """The MD5 (for an ETag or Content-MD5) and the checksum of one body, as they are needed."""

    def __init__(self, body: bytes, *, md5: bool, algorithm: str | None) -> None:
        self.parallel = len(body) >= PARALLEL_FROM
        self.algorithm = algorithm
        self._md5 = (
            _run(lambda: hashlib.md5(body).digest(), self.parallel)  # noqa: S324 - S3's ETag and Content-MD5
            if md5
            else None
        )
        self._checksum = (
            _run(lambda: checksums.compute(algorithm, body), self.parallel) if algorithm else None
        )

    def md5(self) -> bytes:
        assert self._md5 is not None, "MD5 not requested"
        value = self._md5.result()
        assert isinstance(value, bytes)
        return value

    def etag(self) -> str:
        return f'"{self.md5().hex()}"'

    def checksum(self) -> str | None:
        if self._checksum is None:
            return None
        value = self._checksum.result()
        assert isinstance(value, str)
        return value
