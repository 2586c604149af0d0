"""Imports every module that defines tables, so the one MetaData knows them all."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

TABLE_MODULES = (
    "strongroom.core.iam.tables",
    "strongroom.core.audit",
    "strongroom.core.scheduler",
    "strongroom.core.store.settings",
    "strongroom.core.metering",
    "strongroom.services.acm.tables",
    "strongroom.core.events.tables",
    "strongroom.services.kms.tables",
    "strongroom.services.ssm.tables",
    "strongroom.services.secretsmanager.tables",
    "strongroom.services.s3.tables",
)


def load_all_tables() -> MetaData:
    for module in TABLE_MODULES:
        importlib.import_module(module)
    from strongroom.core.store.schema import metadata

    return metadata
