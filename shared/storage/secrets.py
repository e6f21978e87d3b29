"""SecretStore: vendor API credentials in AWS Secrets Manager, one secret per vendor.

The secret's name is `<prefix><vendor>`; IAM grants are scoped to that prefix. Values are
encrypted with the project's KMS key. They are never written to DynamoDB, never logged and
never returned by the API.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


class SecretStore:
    def __init__(self, client: Any, prefix: str, kms_key_id: str) -> None:
        self._sm = client
        self._prefix = prefix
        self._kms_key_id = kms_key_id

    def name_for(self, vendor: str) -> str:
        return f"{self._prefix}{vendor}"

    def put(self, vendor: str, value: dict[str, Any]) -> str:
        """Store (or replace) the vendor's credentials; returns the secret's name."""
        name = self.name_for(vendor)
        payload = json.dumps(value, separators=(",", ":"))
        try:
            self._sm.put_secret_value(SecretId=name, SecretString=payload)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            self._sm.create_secret(
                Name=name,
                SecretString=payload,
                KmsKeyId=self._kms_key_id,
                Description="hirelens: credentials for pulling one vendor's results API",
                Tags=[{"Key": "hirelens", "Value": "vendor-pull"}],
            )
        return name

    def get(self, name: str) -> dict[str, Any]:
        if not name.startswith(self._prefix):  # never read a secret outside our own prefix
            raise ValueError("secret name outside the vendor-pull prefix")
        value = json.loads(self._sm.get_secret_value(SecretId=name)["SecretString"])
        if not isinstance(value, dict):
            raise ValueError("vendor credentials are not a JSON object")
        return value
