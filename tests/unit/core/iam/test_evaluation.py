"""The evaluation logic, scenario by scenario from the AWS documentation's examples."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from strongroom.core.iam import AuthzRequest, Decision, Policy, evaluate, parse_policy

A = "111122223333"  # the caller's account
B = "444455556666"  # another account
CARLOS = f"arn:aws:iam::{A}:user/carlossalazar"
MARIA = f"arn:aws:iam::{A}:user/mariagarcia"
ROOT_A = f"arn:aws:iam::{A}:root"
ROLE = f"arn:aws:iam::{A}:role/ExampleRole"
SESSION = f"arn:aws:sts::{A}:assumed-role/ExampleRole/my-session"
OTHER_SESSION = f"arn:aws:sts::{A}:assumed-role/ExampleRole/other-session"
B_USER = f"arn:aws:iam::{B}:user/jane"
B_ROOT = f"arn:aws:iam::{B}:root"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

ALLOW = Decision.ALLOW
EXPLICIT = Decision.EXPLICIT_DENY
IMPLICIT = Decision.IMPLICIT_DENY


def policy(*statements: dict[str, Any], kind: str = "identity") -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind=kind)  # type: ignore[arg-type]


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def identity(*statements: dict[str, Any]) -> Policy:
    return policy(*statements)


def resource_policy(*statements: dict[str, Any]) -> Policy:
    return policy(*statements, kind="resource")


def aws(*arns: str) -> dict[str, Any]:
    return {"AWS": list(arns) if len(arns) > 1 else arns[0]}


@dataclass
class Case:
    name: str
    action: str
    resource: str
    decision: Decision
    reason: str = ""
    principal: str = CARLOS
    account: str = A
    resource_account: str | None = None
    is_root: bool = False
    context: dict[str, Any] = field(default_factory=dict)
    service: str | None = None
    identity: tuple[Policy, ...] = ()
    resource_policy: Policy | None = None
    session: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    scps: tuple[Policy, ...] = ()
    required: bool = False
    session_arn: str | None = None


# --- "Policy evaluation for requests within a single account": Carlos's bucket example ---
CARLOS_POLICY = identity(
    {
        "Sid": "AllowS3ListRead",
        "Effect": "Allow",
        "Action": [
            "s3:GetBucketLocation",
            "s3:GetAccountPublicAccessBlock",
            "s3:ListAccessPoints",
            "s3:ListAllMyBuckets",
        ],
        "Resource": "arn:aws:s3:::*",
    },
    {
        "Sid": "AllowS3Self",
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": [
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*",
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar",
        ],
    },
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"},
)
LOGS_BUCKET_POLICY = resource_policy(
    {
        "Sid": "AllowCarlosLogs",
        "Effect": "Allow",
        "Principal": aws(CARLOS),
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*",
    }
)
SHARED_BUCKET_POLICY = resource_policy(
    {
        "Effect": "Allow",
        "Principal": aws(CARLOS),
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::shared-bucket/*",
    }
)
SINGLE_ACCOUNT = [
    Case(
        "own bucket object",
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/a.txt",
        ALLOW,
        identity=(CARLOS_POLICY,),
    ),
    Case(
        "list read on any bucket",
        "s3:GetBucketLocation",
        "arn:aws:s3:::any-bucket",
        ALLOW,
        identity=(CARLOS_POLICY,),
    ),
    Case(
        "logs bucket: identity deny beats bucket allow",
        "s3:PutObject",
        "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/x",
        EXPLICIT,
        "explicit deny in an identity-based policy",
        identity=(CARLOS_POLICY,),
        resource_policy=LOGS_BUCKET_POLICY,
    ),
    Case(
        "other bucket: nothing allows",
        "s3:PutObject",
        "arn:aws:s3:::someone-else/x",
        IMPLICIT,
        "no identity-based policy allows the s3:PutObject action",
        identity=(CARLOS_POLICY,),
    ),
    Case(
        "no policies at all",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        IMPLICIT,
        "no identity-based policy allows the s3:GetObject action",
    ),
    Case(
        "bucket policy naming the user suffices",
        "s3:GetObject",
        "arn:aws:s3:::shared-bucket/k",
        ALLOW,
        "resource-based",
        resource_policy=SHARED_BUCKET_POLICY,
    ),
    Case(
        "bucket policy names another user",
        "s3:GetObject",
        "arn:aws:s3:::shared-bucket/k",
        IMPLICIT,
        principal=MARIA,
        resource_policy=SHARED_BUCKET_POLICY,
    ),
    Case(
        "bucket policy naming the account delegates to IAM",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        IMPLICIT,
        "no identity-based policy",
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(ROOT_A), "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}
        ),
    ),
    Case(
        "bucket policy account + identity allow",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        ALLOW,
        identity=(identity(allow("s3:GetObject")),),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(A), "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}
        ),
    ),
    Case(
        "public bucket policy Principal *",
        "s3:GetObject",
        "arn:aws:s3:::public/k",
        ALLOW,
        resource_policy=resource_policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::public/*",
            }
        ),
    ),
    Case(
        "bucket policy explicit deny beats identity allow",
        "s3:DeleteObject",
        "arn:aws:s3:::b/k",
        EXPLICIT,
        "explicit deny in a resource-based policy",
        identity=(identity(allow("s3:*")),),
        resource_policy=resource_policy(
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:DeleteObject",
                "Resource": "arn:aws:s3:::b/*",
            }
        ),
    ),
    Case(
        "deny naming the account applies to its users",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        EXPLICIT,
        identity=(identity(allow("s3:*")),),
        resource_policy=resource_policy(
            {"Effect": "Deny", "Principal": aws(A), "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}
        ),
    ),
    Case(
        "the root user has full access",
        "s3:DeleteBucket",
        "arn:aws:s3:::b",
        ALLOW,
        "root",
        principal=ROOT_A,
        is_root=True,
    ),
    Case(
        "the root user is still explicitly denied",
        "s3:DeleteBucket",
        "arn:aws:s3:::b",
        EXPLICIT,
        principal=ROOT_A,
        is_root=True,
        resource_policy=resource_policy(
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::b"}
        ),
    ),
    # "IAM JSON policy elements: NotAction" / "NotResource"
    Case(
        "Allow NotAction iam:* allows s3",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        ALLOW,
        identity=(identity({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),),
    ),
    Case(
        "Allow NotAction iam:* excludes iam",
        "iam:CreateUser",
        f"arn:aws:iam::{A}:user/x",
        IMPLICIT,
        identity=(identity({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),),
    ),
    Case(
        "Deny NotResource outside the bucket",
        "s3:GetObject",
        "arn:aws:s3:::other/k",
        EXPLICIT,
        identity=(
            identity(
                allow("s3:*"),
                {
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "NotResource": ["arn:aws:s3:::home-bucket", "arn:aws:s3:::home-bucket/*"],
                },
            ),
        ),
    ),
    Case(
        "Deny NotResource inside the bucket",
        "s3:GetObject",
        "arn:aws:s3:::home-bucket/k",
        ALLOW,
        identity=(
            identity(
                allow("s3:*"),
                {
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "NotResource": ["arn:aws:s3:::home-bucket", "arn:aws:s3:::home-bucket/*"],
                },
            ),
        ),
    ),
    # "IAM JSON policy elements: Action": case-insensitive, wildcards
    Case(
        "action names are case-insensitive",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        ALLOW,
        identity=(identity(allow("S3:getobject", "arn:aws:s3:::b/*")),),
    ),
    Case(
        "action wildcard in the middle",
        "iam:CreateAccessKey",
        f"arn:aws:iam::{A}:user/x",
        ALLOW,
        identity=(identity(allow("iam:*AccessKey*")),),
    ),
    Case("action ? wildcard", "s3:GetObject", "*", IMPLICIT, identity=(identity(allow("s3:Get?")),)),
    # "IAM JSON policy elements: Resource": case-sensitive, wildcards per segment
    Case(
        "resource ARNs are case-sensitive",
        "s3:GetObject",
        "arn:aws:s3:::bucket/k",
        IMPLICIT,
        identity=(identity(allow("s3:*", "arn:aws:s3:::Bucket/*")),),
    ),
    Case(
        "resource wildcard spans the resource path",
        "logs:PutLogEvents",
        f"arn:aws:logs:us-east-1:{A}:log-group:app:log-stream:s1",
        ALLOW,
        identity=(identity(allow("logs:*", f"arn:aws:logs:*:{A}:log-group:*")),),
    ),
    Case(
        "resource wildcard stays in the region segment",
        "kms:Encrypt",
        KEY,
        IMPLICIT,
        identity=(identity(allow("kms:*", "arn:aws:kms:us-*-1:111122223333:alias/*")),),
    ),
    Case(
        "action without resource-level permissions",
        "s3:ListAllMyBuckets",
        "*",
        IMPLICIT,
        identity=(identity(allow("s3:ListAllMyBuckets", "arn:aws:s3:::*")),),
    ),
]

# --- "IAM policy elements: Variables and tags" ---
HOME = identity(
    allow(
        "s3:ListBucket",
        "arn:aws:s3:::amzn-s3-demo-bucket",
        Condition={"StringLike": {"s3:prefix": ["${aws:username}/*"]}},
    ),
    allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*"),
)
OWN_KEYS = identity(
    allow(["iam:*AccessKey*", "iam:*SSHPublicKey*"], f"arn:aws:iam::{A}:user/${{aws:username}}")
)
TEAM = identity(
    allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*")
)
VARIABLES = [
    Case(
        "own home folder",
        "s3:PutObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/carlossalazar/a",
        ALLOW,
        identity=(HOME,),
        context={"aws:username": "carlossalazar"},
    ),
    Case(
        "another user's home folder",
        "s3:PutObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/mariagarcia/a",
        IMPLICIT,
        identity=(HOME,),
        context={"aws:username": "carlossalazar"},
    ),
    Case(
        "no aws:username (role session)",
        "s3:PutObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/carlossalazar/a",
        IMPLICIT,
        identity=(HOME,),
        principal=SESSION,
    ),
    Case(
        "list own prefix",
        "s3:ListBucket",
        "arn:aws:s3:::amzn-s3-demo-bucket",
        ALLOW,
        identity=(HOME,),
        context={"aws:username": "carlossalazar", "s3:prefix": "carlossalazar/docs"},
    ),
    Case(
        "list another prefix",
        "s3:ListBucket",
        "arn:aws:s3:::amzn-s3-demo-bucket",
        IMPLICIT,
        identity=(HOME,),
        context={"aws:username": "carlossalazar", "s3:prefix": "mariagarcia/"},
    ),
    Case(
        "manage own access keys",
        "iam:CreateAccessKey",
        CARLOS,
        ALLOW,
        identity=(OWN_KEYS,),
        context={"aws:username": "carlossalazar"},
    ),
    Case(
        "manage another user's keys",
        "iam:CreateAccessKey",
        MARIA,
        IMPLICIT,
        identity=(OWN_KEYS,),
        context={"aws:username": "carlossalazar"},
    ),
    Case(
        "principal tag in resource",
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/red/x",
        ALLOW,
        identity=(TEAM,),
        context={"aws:PrincipalTag/team": "red"},
    ),
    Case(
        "default value when tag absent",
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/x",
        ALLOW,
        identity=(TEAM,),
    ),
    Case(
        "default value not used when tag set",
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/x",
        IMPLICIT,
        identity=(TEAM,),
        context={"aws:PrincipalTag/team": "red"},
    ),
    Case(
        "${*} is a literal asterisk",
        "s3:GetObject",
        "arn:aws:s3:::b/anything",
        IMPLICIT,
        identity=(identity(allow("s3:GetObject", "arn:aws:s3:::b/${*}")),),
    ),
    Case(
        "${*} matches a key named *",
        "s3:GetObject",
        "arn:aws:s3:::b/*",
        ALLOW,
        identity=(identity(allow("s3:GetObject", "arn:aws:s3:::b/${*}")),),
    ),
    Case(
        "${$} and ${?} are literal",
        "s3:GetObject",
        "arn:aws:s3:::b/$?",
        ALLOW,
        identity=(identity(allow("s3:GetObject", "arn:aws:s3:::b/${$}${?}")),),
    ),
]

# --- "Example IAM identity-based policies" ---
SOURCE_IP = identity(
    allow("*"),
    deny(
        "*",
        Condition={
            "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
            "Bool": {"aws:ViaAWSService": "false"},
        },
    ),
)
REGIONS = identity(
    allow("*"),
    {
        "Sid": "DenyAllOutsideRequestedRegions",
        "Effect": "Deny",
        "NotAction": ["cloudfront:*", "iam:*", "route53:*", "support:*"],
        "Resource": "*",
        "Condition": {
            "StringNotEquals": {
                "aws:RequestedRegion": ["eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3"]
            }
        },
    },
)
MFA = identity(
    allow("*"),
    {
        "Sid": "DenyAllExceptListedIfNoMFA",
        "Effect": "Deny",
        "NotAction": [
            "iam:CreateVirtualMFADevice",
            "iam:EnableMFADevice",
            "iam:GetUser",
            "iam:ListMFADevices",
            "sts:GetSessionToken",
        ],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    },
)
DATES = identity(
    allow(
        "dynamodb:*",
        Condition={
            "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
            "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"},
        },
    )
)
EC2_OWNER = identity(
    allow(
        ["ec2:StartInstances", "ec2:StopInstances"],
        Condition={"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}},
    )
)
TAG_ON_CREATE = identity(
    allow(
        "ec2:CreateTags",
        Condition={
            "ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]},
            "StringEquals": {"aws:RequestTag/environment": ["preprod", "production"]},
        },
    )
)
IDENTITY_EXAMPLES = [
    Case(
        "source IP inside the allowed ranges",
        "s3:GetObject",
        "*",
        ALLOW,
        identity=(SOURCE_IP,),
        context={"aws:SourceIp": "203.0.113.9", "aws:ViaAWSService": False},
    ),
    Case(
        "source IP outside the ranges",
        "s3:GetObject",
        "*",
        EXPLICIT,
        identity=(SOURCE_IP,),
        context={"aws:SourceIp": "198.51.100.1", "aws:ViaAWSService": False},
    ),
    Case(
        "outside the ranges but via an AWS service",
        "s3:GetObject",
        "*",
        ALLOW,
        identity=(SOURCE_IP,),
        context={"aws:SourceIp": "198.51.100.1", "aws:ViaAWSService": True},
    ),
    Case(
        "requested region allowed",
        "ec2:RunInstances",
        "*",
        ALLOW,
        identity=(REGIONS,),
        context={"aws:RequestedRegion": "eu-west-1"},
    ),
    Case(
        "requested region refused",
        "ec2:RunInstances",
        "*",
        EXPLICIT,
        identity=(REGIONS,),
        context={"aws:RequestedRegion": "us-east-1"},
    ),
    Case(
        "global service exempt from region deny",
        "iam:ListUsers",
        "*",
        ALLOW,
        identity=(REGIONS,),
        context={"aws:RequestedRegion": "us-east-1"},
    ),
    Case("no MFA key: denied", "s3:GetObject", "*", EXPLICIT, identity=(MFA,)),
    Case(
        "MFA present: allowed",
        "s3:GetObject",
        "*",
        ALLOW,
        identity=(MFA,),
        context={"aws:MultiFactorAuthPresent": True},
    ),
    Case("no MFA but an exempt action", "iam:EnableMFADevice", "*", ALLOW, identity=(MFA,)),
    Case(
        "inside the date window",
        "dynamodb:GetItem",
        "*",
        ALLOW,
        identity=(DATES,),
        context={"aws:CurrentTime": "2020-05-15T12:00:00Z"},
    ),
    Case(
        "outside the date window",
        "dynamodb:GetItem",
        "*",
        IMPLICIT,
        identity=(DATES,),
        context={"aws:CurrentTime": "2021-01-01T00:00:00Z"},
    ),
    Case(
        "start own tagged instance",
        "ec2:StartInstances",
        "*",
        ALLOW,
        identity=(EC2_OWNER,),
        context={"aws:username": "carlossalazar", "aws:ResourceTag/Owner": "carlossalazar"},
    ),
    Case(
        "start someone else's instance",
        "ec2:StartInstances",
        "*",
        IMPLICIT,
        identity=(EC2_OWNER,),
        context={"aws:username": "carlossalazar", "aws:ResourceTag/Owner": "mariagarcia"},
    ),
    Case(
        "tag with allowed keys",
        "ec2:CreateTags",
        "*",
        ALLOW,
        identity=(TAG_ON_CREATE,),
        context={"aws:TagKeys": ["environment"], "aws:RequestTag/environment": "preprod"},
    ),
    Case(
        "tag with an extra key",
        "ec2:CreateTags",
        "*",
        IMPLICIT,
        identity=(TAG_ON_CREATE,),
        context={"aws:TagKeys": ["environment", "owner"], "aws:RequestTag/environment": "preprod"},
    ),
]

# --- "Permissions boundaries for IAM entities" and "Session policies" ---
BOUNDARY = identity(allow(["s3:*", "cloudwatch:*", "ec2:*"]))
ROLE_S3 = identity(allow("s3:*"))
SESSION_READ = identity(allow("s3:GetObject"))
BOUNDARIES = [
    Case(
        "identity allows, boundary does not",
        "iam:CreateUser",
        "*",
        IMPLICIT,
        "no permissions boundary allows the iam:CreateUser action",
        identity=(identity(allow(["iam:CreateUser", "s3:*"])),),
        boundary=BOUNDARY,
    ),
    Case(
        "identity and boundary allow",
        "s3:GetObject",
        "*",
        ALLOW,
        identity=(identity(allow(["iam:CreateUser", "s3:*"])),),
        boundary=BOUNDARY,
    ),
    Case(
        "boundary alone grants nothing",
        "ec2:RunInstances",
        "*",
        IMPLICIT,
        "no identity-based policy",
        boundary=BOUNDARY,
    ),
    Case(
        "explicit deny in the boundary",
        "s3:DeleteBucket",
        "*",
        EXPLICIT,
        "explicit deny in a permissions boundary",
        identity=(ROLE_S3,),
        boundary=identity(allow("s3:*"), deny("s3:DeleteBucket")),
    ),
    Case(
        "resource policy naming the user ignores the boundary",
        "s3:GetObject",
        "arn:aws:s3:::shared-bucket/k",
        ALLOW,
        resource_policy=SHARED_BUCKET_POLICY,
        boundary=identity(allow("ec2:*")),
    ),
    Case(
        "resource policy naming the role is limited by the boundary",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        IMPLICIT,
        "no permissions boundary",
        principal=SESSION,
        boundary=identity(allow("ec2:*")),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(ROLE), "Action": "s3:*", "Resource": "*"}
        ),
    ),
    Case(
        "resource policy naming the role within the boundary",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        ALLOW,
        principal=SESSION,
        boundary=BOUNDARY,
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(ROLE), "Action": "s3:*", "Resource": "*"}
        ),
    ),
    Case(
        "resource policy naming the session ignores the boundary",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        ALLOW,
        principal=SESSION,
        boundary=identity(allow("ec2:*")),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(SESSION), "Action": "s3:*", "Resource": "*"}
        ),
    ),
    Case(
        "boundaries do not limit the root user",
        "iam:CreateUser",
        "*",
        ALLOW,
        principal=ROOT_A,
        is_root=True,
        boundary=BOUNDARY,
    ),
    Case(
        "session policy narrows the role",
        "s3:PutObject",
        "*",
        IMPLICIT,
        "no session policy allows the s3:PutObject action",
        principal=SESSION,
        identity=(ROLE_S3,),
        session=(SESSION_READ,),
    ),
    Case(
        "session policy and role allow",
        "s3:GetObject",
        "*",
        ALLOW,
        principal=SESSION,
        identity=(ROLE_S3,),
        session=(SESSION_READ,),
    ),
    Case(
        "session policy alone grants nothing",
        "s3:GetObject",
        "*",
        IMPLICIT,
        "no identity-based policy",
        principal=SESSION,
        session=(SESSION_READ,),
    ),
    Case(
        "any of several session policies",
        "s3:PutObject",
        "*",
        ALLOW,
        principal=SESSION,
        identity=(ROLE_S3,),
        session=(SESSION_READ, identity(allow("s3:PutObject"))),
    ),
    Case(
        "explicit deny in a session policy",
        "s3:GetObject",
        "*",
        EXPLICIT,
        "explicit deny in a session policy",
        principal=SESSION,
        identity=(ROLE_S3,),
        session=(identity(allow("*"), deny("s3:GetObject")),),
    ),
    Case(
        "resource policy naming the role is limited by the session policy",
        "s3:PutObject",
        "arn:aws:s3:::b/k",
        IMPLICIT,
        "no session policy",
        principal=SESSION,
        session=(SESSION_READ,),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(ROLE), "Action": "s3:*", "Resource": "*"}
        ),
    ),
    Case(
        "resource policy naming the session is not limited by it",
        "s3:PutObject",
        "arn:aws:s3:::b/k",
        ALLOW,
        principal=SESSION,
        session=(SESSION_READ,),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(SESSION), "Action": "s3:*", "Resource": "*"}
        ),
    ),
    Case(
        "session named via role_session_arn_also",
        "s3:PutObject",
        "arn:aws:s3:::b/k",
        ALLOW,
        principal=ROLE,
        session_arn=SESSION,
        session=(SESSION_READ,),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(SESSION), "Action": "s3:*", "Resource": "*"}
        ),
    ),
]

# --- "Service control policies (SCPs)" and "SCP evaluation" ---
FULL_ACCESS = identity(allow("*"))
EC2_S3_ONLY = identity(allow(["ec2:*", "s3:*"]))
REGION_SCP = identity(
    allow("*"),
    {
        "Sid": "DenyAllOutsideEU",
        "Effect": "Deny",
        "NotAction": ["iam:*", "organizations:*", "route53:*", "support:*"],
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}},
    },
)
SCPS = [
    Case(
        "SCPs and identity allow",
        "s3:GetObject",
        "*",
        ALLOW,
        identity=(FULL_ACCESS,),
        scps=(FULL_ACCESS, EC2_S3_ONLY),
    ),
    Case(
        "an SCP level does not allow",
        "dynamodb:GetItem",
        "*",
        IMPLICIT,
        "no service control policy allows the dynamodb:GetItem action",
        identity=(FULL_ACCESS,),
        scps=(FULL_ACCESS, EC2_S3_ONLY),
    ),
    Case(
        "SCPs grant nothing by themselves",
        "s3:GetObject",
        "*",
        IMPLICIT,
        "no identity-based policy",
        scps=(FULL_ACCESS,),
    ),
    Case(
        "SCP region deny",
        "ec2:RunInstances",
        "*",
        EXPLICIT,
        "explicit deny in a service control policy",
        identity=(FULL_ACCESS,),
        scps=(REGION_SCP,),
        context={"aws:RequestedRegion": "us-east-1"},
    ),
    Case(
        "SCP region deny spares IAM",
        "iam:ListRoles",
        "*",
        ALLOW,
        identity=(FULL_ACCESS,),
        scps=(REGION_SCP,),
        context={"aws:RequestedRegion": "us-east-1"},
    ),
    Case(
        "SCPs restrict the member account root",
        "ec2:RunInstances",
        "*",
        EXPLICIT,
        principal=ROOT_A,
        is_root=True,
        scps=(REGION_SCP,),
        context={"aws:RequestedRegion": "us-east-1"},
    ),
    Case(
        "SCPs limit resource-policy grants",
        "dynamodb:GetItem",
        "*",
        IMPLICIT,
        "service control policy",
        scps=(EC2_S3_ONLY,),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(CARLOS), "Action": "dynamodb:*", "Resource": "*"}
        ),
    ),
]

# --- "Cross-account policy evaluation logic" ---
B_BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket-b/k"
CROSS = [
    Case(
        "bucket policy names the user, identity allows",
        "s3:GetObject",
        B_BUCKET,
        ALLOW,
        principal=B_USER,
        account=B,
        resource_account=A,
        identity=(identity(allow("s3:GetObject")),),
        resource_policy=resource_policy(
            {
                "Effect": "Allow",
                "Principal": aws(B_USER),
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-b/*",
            }
        ),
    ),
    Case(
        "bucket policy names the account, identity allows",
        "s3:GetObject",
        B_BUCKET,
        ALLOW,
        principal=B_USER,
        account=B,
        resource_account=A,
        identity=(identity(allow("s3:GetObject")),),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(B), "Action": "s3:GetObject", "Resource": "*"}
        ),
    ),
    Case(
        "bucket policy allows, identity does not",
        "s3:GetObject",
        B_BUCKET,
        IMPLICIT,
        "no identity-based policy",
        principal=B_USER,
        account=B,
        resource_account=A,
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(B_USER), "Action": "s3:GetObject", "Resource": "*"}
        ),
    ),
    Case(
        "identity allows, no bucket policy",
        "s3:GetObject",
        B_BUCKET,
        IMPLICIT,
        "no resource-based policy allows the s3:GetObject action",
        principal=B_USER,
        account=B,
        resource_account=A,
        identity=(identity(allow("s3:*")),),
    ),
    Case(
        "bucket policy names a third account",
        "s3:GetObject",
        B_BUCKET,
        IMPLICIT,
        "no resource-based policy",
        principal=B_USER,
        account=B,
        resource_account=A,
        identity=(identity(allow("s3:*")),),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws("999999999999"), "Action": "s3:*", "Resource": "*"}
        ),
    ),
    Case(
        "the other account's root",
        "s3:GetObject",
        B_BUCKET,
        ALLOW,
        principal=B_ROOT,
        account=B,
        resource_account=A,
        is_root=True,
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(B_ROOT), "Action": "s3:*", "Resource": "*"}
        ),
    ),
    Case(
        "the root user has nothing in another account",
        "s3:GetObject",
        B_BUCKET,
        IMPLICIT,
        principal=B_ROOT,
        account=B,
        resource_account=A,
        is_root=True,
    ),
    Case(
        "public bucket still needs the identity side",
        "s3:GetObject",
        B_BUCKET,
        IMPLICIT,
        "no identity-based policy",
        principal=B_USER,
        account=B,
        resource_account=A,
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
        ),
    ),
    Case(
        "cross-account boundary applies",
        "s3:GetObject",
        B_BUCKET,
        IMPLICIT,
        "no permissions boundary",
        principal=B_USER,
        account=B,
        resource_account=A,
        identity=(identity(allow("s3:*")),),
        boundary=identity(allow("ec2:*")),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(B_USER), "Action": "s3:*", "Resource": "*"}
        ),
    ),
    Case(
        "cross-account explicit deny in bucket policy",
        "s3:GetObject",
        B_BUCKET,
        EXPLICIT,
        principal=B_USER,
        account=B,
        resource_account=A,
        identity=(identity(allow("s3:*")),),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(B), "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": aws(B_USER), "Action": "s3:GetObject", "Resource": "*"},
        ),
    ),
]

# --- "Default key policy" / "Allows access to the AWS account and enables IAM policies" (KMS) ---
DEFAULT_KEY_POLICY = resource_policy(
    {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": aws(ROOT_A),
        "Action": "kms:*",
        "Resource": "*",
    }
)
KEY_USERS_POLICY = resource_policy(
    {
        "Sid": "Allow use of the key",
        "Effect": "Allow",
        "Principal": aws(ROLE),
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
    },
    {
        "Sid": "Allow key administration",
        "Effect": "Allow",
        "Principal": aws(MARIA),
        "Action": ["kms:Create*", "kms:Describe*", "kms:ScheduleKeyDeletion"],
        "Resource": "*",
    },
)
CROSS_KEY_POLICY = resource_policy(
    {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": aws(ROOT_A),
        "Action": "kms:*",
        "Resource": "*",
    },
    {
        "Sid": "Allow an external account to use this KMS key",
        "Effect": "Allow",
        "Principal": aws(B_ROOT),
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
    },
)
VIA_SERVICE_POLICY = resource_policy(
    {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": A}
        },
    }
)
CLOUDTRAIL_KEY_POLICY = resource_policy(
    {
        "Sid": "Allow CloudTrail to encrypt logs",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": {
            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{A}:trail/*"}
        },
    }
)
KMS = [
    Case(
        "default key policy + IAM allow",
        "kms:Encrypt",
        KEY,
        ALLOW,
        required=True,
        resource_policy=DEFAULT_KEY_POLICY,
        identity=(identity(allow("kms:Encrypt", KEY)),),
    ),
    Case(
        "default key policy, no IAM allow",
        "kms:Encrypt",
        KEY,
        IMPLICIT,
        "no identity-based policy allows the kms:Encrypt action",
        required=True,
        resource_policy=DEFAULT_KEY_POLICY,
    ),
    Case(
        "default key policy + IAM allow on another key",
        "kms:Encrypt",
        KEY,
        IMPLICIT,
        required=True,
        resource_policy=DEFAULT_KEY_POLICY,
        identity=(identity(allow("kms:Encrypt", f"arn:aws:kms:us-east-1:{A}:key/other")),),
    ),
    Case(
        "root user with default key policy",
        "kms:ScheduleKeyDeletion",
        KEY,
        ALLOW,
        principal=ROOT_A,
        is_root=True,
        required=True,
        resource_policy=DEFAULT_KEY_POLICY,
    ),
    Case(
        "key policy without the account: IAM does not count",
        "kms:Encrypt",
        KEY,
        IMPLICIT,
        "no resource-based policy allows the kms:Encrypt action",
        required=True,
        resource_policy=KEY_USERS_POLICY,
        identity=(identity(allow("kms:*")),),
    ),
    Case(
        "key policy without the account: root gets nothing",
        "kms:Encrypt",
        KEY,
        IMPLICIT,
        "no resource-based policy",
        principal=ROOT_A,
        is_root=True,
        required=True,
        resource_policy=KEY_USERS_POLICY,
    ),
    Case(
        "key users statement: role session",
        "kms:Decrypt",
        KEY,
        ALLOW,
        principal=SESSION,
        required=True,
        resource_policy=KEY_USERS_POLICY,
    ),
    Case(
        "key users statement: ReEncrypt* wildcard",
        "kms:ReEncryptFrom",
        KEY,
        ALLOW,
        principal=SESSION,
        required=True,
        resource_policy=KEY_USERS_POLICY,
    ),
    Case(
        "key users statement: action not listed",
        "kms:ScheduleKeyDeletion",
        KEY,
        IMPLICIT,
        principal=SESSION,
        required=True,
        resource_policy=KEY_USERS_POLICY,
    ),
    Case(
        "key administrators statement: user",
        "kms:ScheduleKeyDeletion",
        KEY,
        ALLOW,
        principal=MARIA,
        required=True,
        resource_policy=KEY_USERS_POLICY,
    ),
    Case(
        "key policy deny beats IAM allow",
        "kms:Decrypt",
        KEY,
        EXPLICIT,
        "resource-based",
        required=True,
        identity=(identity(allow("kms:*")),),
        resource_policy=resource_policy(
            {"Effect": "Allow", "Principal": aws(ROOT_A), "Action": "kms:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
        context={"aws:SecureTransport": False},
    ),
    Case(
        "external account: key policy + IAM allow",
        "kms:Encrypt",
        KEY,
        ALLOW,
        principal=B_USER,
        account=B,
        resource_account=A,
        required=True,
        resource_policy=CROSS_KEY_POLICY,
        identity=(identity(allow("kms:Encrypt", KEY)),),
    ),
    Case(
        "external account: IAM does not allow",
        "kms:Encrypt",
        KEY,
        IMPLICIT,
        "no identity-based policy",
        principal=B_USER,
        account=B,
        resource_account=A,
        required=True,
        resource_policy=CROSS_KEY_POLICY,
    ),
    Case(
        "external account: action outside the key policy",
        "kms:ScheduleKeyDeletion",
        KEY,
        IMPLICIT,
        "no resource-based policy",
        principal=B_USER,
        account=B,
        resource_account=A,
        required=True,
        resource_policy=CROSS_KEY_POLICY,
        identity=(identity(allow("kms:*")),),
    ),
    Case(
        "kms:ViaService from S3",
        "kms:GenerateDataKey",
        KEY,
        ALLOW,
        required=True,
        resource_policy=VIA_SERVICE_POLICY,
        context={"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": A},
    ),
    Case(
        "kms:ViaService direct call",
        "kms:GenerateDataKey",
        KEY,
        IMPLICIT,
        required=True,
        resource_policy=VIA_SERVICE_POLICY,
        context={"kms:CallerAccount": A},
    ),
    Case(
        "CloudTrail service principal",
        "kms:GenerateDataKey",
        KEY,
        ALLOW,
        principal="cloudtrail.amazonaws.com",
        service="cloudtrail.amazonaws.com",
        required=True,
        resource_policy=CLOUDTRAIL_KEY_POLICY,
        context={"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:us-east-1:{A}:trail/t"},
    ),
    Case(
        "another service principal",
        "kms:GenerateDataKey",
        KEY,
        IMPLICIT,
        principal="config.amazonaws.com",
        service="config.amazonaws.com",
        required=True,
        resource_policy=CLOUDTRAIL_KEY_POLICY,
    ),
    Case(
        "service principals ignore identity policies",
        "kms:GenerateDataKey",
        KEY,
        IMPLICIT,
        principal="s3.amazonaws.com",
        service="s3.amazonaws.com",
        identity=(FULL_ACCESS,),
    ),
]

# --- "AWS JSON policy elements: NotPrincipal" ---
NOT_PRINCIPAL_ALL = resource_policy(
    {
        "Effect": "Deny",
        "NotPrincipal": aws(SESSION, ROLE, ROOT_A),
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
    }
)
NOT_PRINCIPAL_USER_ONLY = resource_policy(
    {
        "Effect": "Deny",
        "NotPrincipal": aws(CARLOS),
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
    }
)
NOT_PRINCIPAL_USER_AND_ACCOUNT = resource_policy(
    {
        "Effect": "Deny",
        "NotPrincipal": aws(CARLOS, ROOT_A),
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
    }
)
OBJ = "arn:aws:s3:::amzn-s3-demo-bucket/k"
NOT_PRINCIPAL = [
    Case(
        "session, role and account listed: spared",
        "s3:GetObject",
        OBJ,
        ALLOW,
        principal=SESSION,
        identity=(ROLE_S3,),
        resource_policy=NOT_PRINCIPAL_ALL,
    ),
    Case(
        "another session of the role: denied",
        "s3:GetObject",
        OBJ,
        EXPLICIT,
        principal=OTHER_SESSION,
        identity=(ROLE_S3,),
        resource_policy=NOT_PRINCIPAL_ALL,
    ),
    Case(
        "another user: denied",
        "s3:GetObject",
        OBJ,
        EXPLICIT,
        principal=MARIA,
        identity=(ROLE_S3,),
        resource_policy=NOT_PRINCIPAL_ALL,
    ),
    Case(
        "user listed without its account: denied",
        "s3:GetObject",
        OBJ,
        EXPLICIT,
        identity=(ROLE_S3,),
        resource_policy=NOT_PRINCIPAL_USER_ONLY,
    ),
    Case(
        "user listed with its account: spared",
        "s3:GetObject",
        OBJ,
        ALLOW,
        identity=(ROLE_S3,),
        resource_policy=NOT_PRINCIPAL_USER_AND_ACCOUNT,
    ),
    Case(
        "a permissions boundary defeats NotPrincipal",
        "s3:GetObject",
        OBJ,
        EXPLICIT,
        identity=(ROLE_S3,),
        boundary=ROLE_S3,
        resource_policy=NOT_PRINCIPAL_USER_AND_ACCOUNT,
    ),
    Case(
        "NotPrincipal out of the statement's resources",
        "s3:GetObject",
        "arn:aws:s3:::elsewhere/k",
        ALLOW,
        principal=MARIA,
        identity=(ROLE_S3,),
        resource_policy=NOT_PRINCIPAL_ALL,
    ),
]

# --- "AWS JSON policy elements: Principal" — role trust policies (evaluated like key policies) ---
TRUST_ACCOUNT = policy({"Effect": "Allow", "Principal": aws(A), "Action": "sts:AssumeRole"}, kind="trust")
TRUST_USER = policy({"Effect": "Allow", "Principal": aws(CARLOS), "Action": "sts:AssumeRole"}, kind="trust")
TRUST_EC2 = policy(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
    kind="trust",
)
TRUST_EXTERNAL = policy(
    {
        "Effect": "Allow",
        "Principal": aws(B_ROOT),
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "Unique-ID"}},
    },
    kind="trust",
)
TRUST = [
    Case(
        "trust names the user: no IAM policy needed",
        "sts:AssumeRole",
        ROLE,
        ALLOW,
        required=True,
        resource_policy=TRUST_USER,
    ),
    Case(
        "trust names another user",
        "sts:AssumeRole",
        ROLE,
        IMPLICIT,
        principal=MARIA,
        required=True,
        resource_policy=TRUST_USER,
    ),
    Case(
        "trust names the account: IAM must allow",
        "sts:AssumeRole",
        ROLE,
        IMPLICIT,
        "no identity-based policy",
        required=True,
        resource_policy=TRUST_ACCOUNT,
    ),
    Case(
        "trust names the account + IAM allow",
        "sts:AssumeRole",
        ROLE,
        ALLOW,
        required=True,
        resource_policy=TRUST_ACCOUNT,
        identity=(identity(allow("sts:AssumeRole", ROLE)),),
    ),
    Case(
        "service principal trust",
        "sts:AssumeRole",
        ROLE,
        ALLOW,
        principal="ec2.amazonaws.com",
        service="ec2.amazonaws.com",
        resource_policy=TRUST_EC2,
    ),
    Case(
        "external id matches",
        "sts:AssumeRole",
        ROLE,
        ALLOW,
        principal=B_USER,
        account=B,
        resource_account=A,
        required=True,
        resource_policy=TRUST_EXTERNAL,
        identity=(identity(allow("sts:AssumeRole")),),
        context={"sts:ExternalId": "Unique-ID"},
    ),
    Case(
        "external id missing",
        "sts:AssumeRole",
        ROLE,
        IMPLICIT,
        principal=B_USER,
        account=B,
        resource_account=A,
        required=True,
        resource_policy=TRUST_EXTERNAL,
        identity=(identity(allow("sts:AssumeRole")),),
    ),
]

ALL_CASES = (
    SINGLE_ACCOUNT + VARIABLES + IDENTITY_EXAMPLES + BOUNDARIES + SCPS + CROSS + KMS + NOT_PRINCIPAL + TRUST
)


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.name for case in ALL_CASES])
def test_evaluation(case: Case) -> None:
    request = AuthzRequest(
        action=case.action,
        resource=case.resource,
        principal_arn=case.principal,
        principal_account=case.account,
        resource_account=case.resource_account,
        is_root=case.is_root,
        context=case.context,
        service_principal=case.service,
    )
    result = evaluate(
        request,
        identity_policies=case.identity,
        resource_policy=case.resource_policy,
        session_policies=case.session,
        permissions_boundary=case.boundary,
        scps=case.scps,
        resource_policy_required=case.required,
        role_session_arn_also=case.session_arn,
    )
    assert result.decision is case.decision, result.reason
    assert case.reason in result.reason
    assert result.allowed is (case.decision is ALLOW)


def test_request_context_keys_are_case_insensitive() -> None:
    request = AuthzRequest(
        "s3:GetObject", "*", CARLOS, A, context={"AWS:SourceIP": "203.0.113.9", "aws:ViaAWSService": False}
    )
    assert evaluate(request, identity_policies=[SOURCE_IP]).decision is ALLOW
