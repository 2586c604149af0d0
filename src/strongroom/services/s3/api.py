"""Amazon S3 (rest-xml): buckets, objects, multipart uploads, server-side encryption, bucket
policies and replication. Each handler checks, authorizes (caller's policies with the bucket
policy), acts and answers in AWS's shape; object bytes live encrypted under `<data dir>/s3/`."""

from __future__ import annotations

from strongroom.aws.service import ServiceApi
from strongroom.core.kernel import Kernel
from strongroom.services.s3.buckets_api import BucketsApi
from strongroom.services.s3.listing_api import ListingApi
from strongroom.services.s3.multipart_api import MultipartApi
from strongroom.services.s3.replication import ReplicationWorker
from strongroom.services.s3.replication_api import ReplicationApi
from strongroom.services.s3.storage import ObjectStore


class S3Api(BucketsApi, MultipartApi, ListingApi, ReplicationApi, ServiceApi):
    """Amazon Simple Storage Service."""

    model_name = "s3"
    access_denied = ("AccessDenied", 403)

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel)
        self.store = ObjectStore(kernel.data_dir / "s3")
        self.replication = ReplicationWorker(self)

    def setup(self) -> None:
        self.replication.start()

    def stop(self) -> None:
        self.replication.stop()
