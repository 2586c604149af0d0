"""Tiers: how large a value may be, how many parameters an account-region holds, which tier a put gets.

Standard: values up to 4,096 characters, 10,000 parameters per account and region, no policies.
Advanced: up to 8,192 characters, 100,000 parameters, policies, $0.05 per parameter-month.
Intelligent-Tiering chooses Advanced only when the request needs it (a larger value, policies,
or the Standard quota is full). A parameter never goes back from Advanced to Standard.
"""

from __future__ import annotations

from strongroom.services.ssm import errors

STANDARD = "Standard"
ADVANCED = "Advanced"
INTELLIGENT = "Intelligent-Tiering"
TIERS = (STANDARD, ADVANCED, INTELLIGENT)

MAX_VALUE = {STANDARD: 4096, ADVANCED: 8192}
MAX_PARAMETERS = {STANDARD: 10_000, ADVANCED: 100_000}
ADVANCED_MONTHLY_PRICE_USD = 0.05


def choose_tier(
    requested: str,
    *,
    value_length: int,
    has_policies: bool,
    current: str | None,
    standard_count: int,
) -> str:
    """The tier a put stores: `requested` is the request's Tier, or the default-tier setting."""
    if requested == INTELLIGENT:
        needs_advanced = (
            value_length > MAX_VALUE[STANDARD]
            or has_policies
            or current == ADVANCED
            or (current is None and standard_count >= MAX_PARAMETERS[STANDARD])
        )
        return ADVANCED if needs_advanced else STANDARD
    if requested == STANDARD and current == ADVANCED:
        raise errors.validation(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
            "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the "
            "advanced parameter and recreate it as a standard parameter."
        )
    return requested


def check_value(tier: str, value_length: int) -> None:
    if tier == STANDARD and value_length > MAX_VALUE[STANDARD]:
        raise errors.validation(
            "Standard tier parameters support a maximum parameter value of 4096 characters. To create a "
            "larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more "
            f"information, see {errors.LIMITS_DOC}"
        )
    if value_length > MAX_VALUE[ADVANCED]:
        raise errors.validation(
            "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have "
            "length less than or equal to 8192"
        )


def check_policies_allowed(tier: str, has_policies: bool) -> None:
    if has_policies and tier == STANDARD:
        raise errors.validation(
            "Parameter policies are supported only for the advanced-parameter tier. Specify the Advanced "
            f"or Intelligent-Tiering tier and try again. For more information, see {errors.LIMITS_DOC}"
        )


def check_quota(tier: str, count_in_tier: int) -> None:
    if count_in_tier >= MAX_PARAMETERS[tier]:
        raise errors.limit_exceeded()
