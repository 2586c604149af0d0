"""aws-chunked decoding, held first to the AWS documentation's published vectors.

The two documented S3 examples (a chunk-signed upload, and the same with a signed CRC32C
trailer) are written out byte for byte with AWS's signatures; the encoder below is only trusted
after it reproduces them.
"""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from strongroom.aws.chunked import (
    CHECKSUM_ALGORITHMS,
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    ChunkedBodyError,
    ChunkSigner,
    checksum_b64,
    decode_aws_chunked,
)
from strongroom.aws.sigv4 import signing_key

DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_SIGNER = ChunkSigner(
    signing_key(DOC_SECRET, "20130524", "us-east-1", "s3"),
    "20130524T000000Z",
    "20130524/us-east-1/s3/aws4_request",
)
DOC_DATA = b"a" * 66560
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_SIGNATURES = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]
TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
TRAILER_SIGNATURES = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
]
TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"


def doc_body(signatures: list[str], trailer: bytes = b"") -> bytes:
    return (
        f"10000;chunk-signature={signatures[0]}\r\n".encode()
        + DOC_DATA[:65536]
        + f"\r\n400;chunk-signature={signatures[1]}\r\n".encode()
        + DOC_DATA[65536:]
        + f"\r\n0;chunk-signature={signatures[2]}\r\n".encode()
        + trailer
        + b"\r\n"
    )


DOC_TRAILER = (
    b"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" + TRAILER_SIGNATURE.encode() + b"\r\n"
)


def decode(
    body: bytes,
    mode: str,
    *,
    trailers: frozenset[str] = frozenset(),
    length: int = len(DOC_DATA),
    seed: str = DOC_SEED,
) -> bytes:
    signer = None if mode == STREAMING_UNSIGNED_TRAILER else DOC_SIGNER
    return decode_aws_chunked(
        body,
        content_sha256=mode,
        decoded_length=length,
        declared_trailers=trailers,
        signer=signer,
        seed_signature=seed,
    )


def refusal(body: bytes, mode: str, **kwargs: object) -> ChunkedBodyError:
    with pytest.raises(ChunkedBodyError) as caught:
        decode(body, mode, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --------------------------------------------------------------------------------------------
# The AWS documentation's vectors.


def test_documented_chunk_signed_upload_decodes() -> None:
    assert decode(doc_body(DOC_SIGNATURES), STREAMING_SIGNED) == DOC_DATA


def test_documented_signed_trailer_upload_decodes() -> None:
    body = doc_body(TRAILER_SIGNATURES, DOC_TRAILER)
    trailers = frozenset({"x-amz-checksum-crc32c"})
    assert decode(body, STREAMING_SIGNED_TRAILER, trailers=trailers, seed=TRAILER_SEED) == DOC_DATA


def test_documented_signed_trailer_with_another_value_is_refused() -> None:
    body = doc_body(TRAILER_SIGNATURES, DOC_TRAILER.replace(b"sOO8/Q==", b"sOO8/A=="))
    error = refusal(
        body, STREAMING_SIGNED_TRAILER, trailers=frozenset({"x-amz-checksum-crc32c"}), seed=TRAILER_SEED
    )
    assert error.kind == "signature_mismatch"


@pytest.mark.parametrize("index", [0, 1, 2])
def test_documented_upload_with_one_signature_changed_is_refused(index: int) -> None:
    signatures = list(DOC_SIGNATURES)
    signatures[index] = "0" * 64
    assert refusal(doc_body(signatures), STREAMING_SIGNED).kind == "signature_mismatch"


def test_documented_upload_with_another_seed_is_refused() -> None:
    assert refusal(doc_body(DOC_SIGNATURES), STREAMING_SIGNED, seed="1" * 64).kind == "signature_mismatch"


def test_checksum_catalogue_vectors() -> None:
    # Check values from the CRC catalogue ("123456789") and the S3 trailer example above.
    assert CHECKSUM_ALGORITHMS["crc32"](b"123456789").hex() == "cbf43926"
    assert CHECKSUM_ALGORITHMS["crc32c"](b"123456789").hex() == "e3069283"
    assert CHECKSUM_ALGORITHMS["crc64nvme"](b"123456789").hex() == "ae8b14860a799888"
    assert checksum_b64("crc32c", DOC_DATA) == "sOO8/Q=="
    assert checksum_b64("sha256", b"") == base64.b64encode(hashlib.sha256(b"").digest()).decode()
    assert checksum_b64("crc32", b"x") == base64.b64encode(zlib.crc32(b"x").to_bytes(4, "big")).decode()


# --------------------------------------------------------------------------------------------
# An encoder, trusted because it reproduces the documented signatures.


def encode(
    data: bytes,
    chunk_size: int,
    mode: str,
    trailers: list[tuple[str, str]] | None = None,
    seed: str = DOC_SEED,
) -> bytes:
    signed = mode != STREAMING_UNSIGNED_TRAILER
    out = bytearray()
    previous = seed
    chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for chunk in chunks:
        if signed:
            previous = DOC_SIGNER.chunk_signature(previous, chunk)
            out += f"{len(chunk):x};chunk-signature={previous}\r\n".encode()
        else:
            out += f"{len(chunk):x}\r\n".encode()
        if chunk:
            out += chunk + b"\r\n"
    for name, value in trailers or []:
        out += f"{name}:{value}\r\n".encode()
    if mode == STREAMING_SIGNED_TRAILER:
        canonical = "".join(f"{name}:{value}\n" for name, value in trailers or []).encode()
        out += f"x-amz-trailer-signature:{DOC_SIGNER.trailer_signature(previous, canonical)}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


def test_encoder_reproduces_the_documented_bodies() -> None:
    assert encode(DOC_DATA, 65536, STREAMING_SIGNED) == doc_body(DOC_SIGNATURES)
    assert encode(
        DOC_DATA, 65536, STREAMING_SIGNED_TRAILER, [("x-amz-checksum-crc32c", "sOO8/Q==")], seed=TRAILER_SEED
    ) == doc_body(TRAILER_SIGNATURES, DOC_TRAILER)


DATA = bytes(range(256)) * 80


@pytest.mark.parametrize("chunk_size", [1, 7, 8192, len(DATA), len(DATA) + 10])
def test_signed_bodies_decode_at_any_chunk_size(chunk_size: int) -> None:
    data = DATA[:300] if chunk_size < 8 else DATA
    assert decode(encode(data, chunk_size, STREAMING_SIGNED), STREAMING_SIGNED, length=len(data)) == data


def test_empty_signed_body_decodes() -> None:
    assert decode(encode(b"", 8192, STREAMING_SIGNED), STREAMING_SIGNED, length=0) == b""


@pytest.mark.parametrize("algorithm", sorted(CHECKSUM_ALGORITHMS))
@pytest.mark.parametrize("mode", [STREAMING_UNSIGNED_TRAILER, STREAMING_SIGNED_TRAILER])
def test_trailer_checksums_of_every_algorithm(mode: str, algorithm: str) -> None:
    name = f"x-amz-checksum-{algorithm}"
    body = encode(DATA, 8192, mode, [(name, checksum_b64(algorithm, DATA))])
    assert decode(body, mode, trailers=frozenset({name}), length=len(DATA)) == DATA
    wrong = encode(DATA, 8192, mode, [(name, checksum_b64(algorithm, b"other"))])
    error = refusal(wrong, mode, trailers=frozenset({name}), length=len(DATA))
    assert error.kind == "bad_digest"
    assert algorithm.upper() in error.message


def test_chunks_swapped_are_refused_even_though_each_is_signed() -> None:
    body = encode(DATA[:8192], 4096, STREAMING_SIGNED)
    second = body.index(b"1000;chunk-signature=", 1)
    final = body.rindex(b"\r\n0;chunk-signature=") + 2
    swapped = body[second:final] + body[:second] + body[final:]
    assert len(swapped) == len(body) and swapped != body
    assert refusal(swapped, STREAMING_SIGNED, length=8192).kind == "signature_mismatch"


def test_changed_byte_in_a_signed_chunk_is_refused() -> None:
    body = bytearray(encode(DATA, 4096, STREAMING_SIGNED))
    body[5000] ^= 1
    assert refusal(bytes(body), STREAMING_SIGNED, length=len(DATA)).kind == "signature_mismatch"


def test_decoded_length_is_held_to() -> None:
    body = encode(DATA, 4096, STREAMING_SIGNED)
    assert refusal(body, STREAMING_SIGNED, length=len(DATA) + 1).kind == "incomplete_body"
    assert refusal(body, STREAMING_SIGNED, length=len(DATA) - 1).kind == "incomplete_body"


@pytest.mark.parametrize(
    ("edit", "kind"),
    [
        (lambda b: b"zz" + b, "malformed_body"),
        (lambda b: b.replace(b"1000;", b"0x1000;", 1), "malformed_body"),
        (lambda b: b.replace(b";chunk-signature=", b";", 1), "malformed_body"),
        (lambda b: b.replace(b"\r\n", b"\n", 1), "malformed_body"),
        (lambda b: b + b"extra", "malformed_body"),
        (lambda b: b[: b.rindex(b"0;chunk-signature=")], "incomplete_body"),
        (lambda b: b[:2000], "incomplete_body"),
    ],
)
def test_broken_framing_is_refused(edit: object, kind: str) -> None:
    body = encode(DATA, 4096, STREAMING_SIGNED)
    assert refusal(edit(body), STREAMING_SIGNED, length=len(DATA)).kind == kind  # type: ignore[operator]


def test_trailer_declared_but_not_sent_or_sent_but_not_declared_is_refused() -> None:
    value = checksum_b64("crc32", DATA)
    body = encode(DATA, 8192, STREAMING_UNSIGNED_TRAILER, [("x-amz-checksum-crc32", value)])
    wrong_name = frozenset({"x-amz-checksum-crc32c"})
    assert (
        refusal(body, STREAMING_UNSIGNED_TRAILER, trailers=wrong_name, length=len(DATA)).kind
        == "malformed_body"
    )
    assert refusal(body, STREAMING_UNSIGNED_TRAILER, length=len(DATA)).kind == "malformed_body"


def test_signed_trailer_without_its_signature_is_refused() -> None:
    name = "x-amz-checksum-crc32"
    body = encode(DATA, 8192, STREAMING_SIGNED_TRAILER, [(name, checksum_b64("crc32", DATA))])
    unsigned = body[: body.index(b"x-amz-trailer-signature:")] + b"\r\n"
    error = refusal(unsigned, STREAMING_SIGNED_TRAILER, trailers=frozenset({name}), length=len(DATA))
    assert error.kind == "malformed_body"


def test_unsupported_checksum_algorithm_is_refused() -> None:
    name = "x-amz-checksum-md4"
    body = encode(DATA, 8192, STREAMING_UNSIGNED_TRAILER, [(name, "AAAA")])
    assert (
        refusal(body, STREAMING_UNSIGNED_TRAILER, trailers=frozenset({name}), length=len(DATA)).kind
        == "malformed_body"
    )


def test_unsigned_body_ending_right_after_the_last_chunk_is_whole() -> None:
    # The AWS SDK for JavaScript ends an unsigned framed body with `0\r\n` when it adds no checksum.
    body = encode(DATA, 8192, STREAMING_UNSIGNED_TRAILER)[:-2]
    assert body.endswith(b"\r\n0\r\n")
    assert decode(body, STREAMING_UNSIGNED_TRAILER, length=len(DATA)) == DATA


def test_signed_payload_must_not_carry_trailers() -> None:
    body = encode(DATA, 8192, STREAMING_SIGNED, [("x-amz-checksum-crc32", checksum_b64("crc32", DATA))])
    assert refusal(body, STREAMING_SIGNED, length=len(DATA)).kind == "malformed_body"


def test_signer_secret_stays_out_of_repr() -> None:
    assert DOC_SIGNER.signing_key.hex() not in repr(DOC_SIGNER)
