"""AWS Key Management Service: one class composed of a mixin per domain.

    KeysApi      keys_api.py     CreateKey, DescribeKey, ListKeys, Enable/DisableKey,
                                 Schedule/CancelKeyDeletion, UpdateKeyDescription, key policies
    AliasesApi   aliases_api.py  Create/Update/Delete/ListAliases
    TagsApi      tags_api.py     Tag/UntagResource, ListResourceTags
    CryptoApi    crypto_api.py   Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateRandom
    GrantsApi    grants_api.py   Create/List/Retire/RevokeGrant, ListRetirableGrants

Colleagues' mixins (asymmetric keys, MAC, rotation, import, multi-Region) go before CryptoApi so
that their overrides of its extension points (`_encrypt_asymmetric`, `_decrypt_asymmetric`) win.
"""

from __future__ import annotations

from typing import ClassVar

from strongroom.aws.service import ServiceApi
from strongroom.services.kms.aliases_api import AliasesApi
from strongroom.services.kms.asymmetric_api import AsymmetricApi
from strongroom.services.kms.crypto_api import CryptoApi
from strongroom.services.kms.data_key_pairs_api import DataKeyPairsApi
from strongroom.services.kms.grants_api import GrantsApi
from strongroom.services.kms.import_api import ImportApi
from strongroom.services.kms.kem_api import KemApi
from strongroom.services.kms.key_agreement_api import KeyAgreementApi
from strongroom.services.kms.keys_api import DELETE_KEY_JOB, KeyDeletion, KeysApi
from strongroom.services.kms.mac_api import MacApi
from strongroom.services.kms.multiregion_api import MultiRegionApi
from strongroom.services.kms.rotation import register_jobs
from strongroom.services.kms.rotation_api import RotationApi
from strongroom.services.kms.tags_api import TagsApi
from strongroom.services.kms.throttling_api import ThrottledApi


class KmsApi(
    ThrottledApi,
    KeysApi,
    AliasesApi,
    TagsApi,
    AsymmetricApi,
    MacApi,
    KeyAgreementApi,
    KemApi,
    DataKeyPairsApi,
    RotationApi,
    ImportApi,
    MultiRegionApi,
    CryptoApi,
    GrantsApi,
    ServiceApi,
):
    """AWS Key Management Service."""

    model_name: ClassVar[str] = "kms"
    access_denied: ClassVar[tuple[str, int]] = ("AccessDeniedException", 400)
    # Keys, aliases, tags and material are read through services/kms/read_cache.py; every other
    # operation may change them and drops the cache (grants are read from the database).
    cache_name: ClassVar[str | None] = "kms"
    pure_reads: ClassVar[frozenset[str]] = frozenset(
        {
            "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
            "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateRandom", "Sign",
            "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret", "Encapsulate", "Decapsulate",
            "DescribeKey", "GetPublicKey", "GetKeyPolicy", "GetKeyRotationStatus", "ListKeys",
            "ListAliases", "ListResourceTags", "ListGrants", "ListRetirableGrants", "ListKeyPolicies",
            "ListKeyRotations", "GetParametersForImport", "GetKeyLastUsage",
        }
    )  # fmt: skip

    # Served from the read cache (symmetric and HMAC cryptography, the key's description): run on
    # the event loop. Asymmetric operations cost milliseconds of CPU and stay on request threads.
    inline_operations: ClassVar[frozenset[str]] = frozenset(
        {
            "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
            "GenerateRandom", "GenerateMac", "VerifyMac", "DescribeKey",
        }
    )  # fmt: skip

    def setup(self) -> None:
        self.kernel.scheduler.register(DELETE_KEY_JOB, KeyDeletion(self.kernel).delete_due_key)
        register_jobs(self.kernel)
