"""IAM: users, access keys, roles, inline and managed policies, tags and the account's summary."""
