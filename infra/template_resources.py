"""template.yaml as the single source of truth for the local stack and the tests.

The table, bucket and event bus are created in whatever endpoint boto3 points at (moto in-process, moto's
server, or a real account) from the template's own ``Properties``, so local runs and deployments cannot
drift. The functions' environment and handler are read from the template the same way, so a test can run a
handler exactly as ``sam local invoke`` would.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"

FUNCTION_TYPE = "AWS::Serverless::Function"
TABLE_TYPE = "AWS::DynamoDB::Table"
BUCKET_TYPE = "AWS::S3::Bucket"
EVENT_BUS_TYPE = "AWS::Events::EventBus"

# CreateTable takes these CloudFormation properties under the same names and shapes.
_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
)
_INDEX_PROPERTIES = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


# --- reading the template ----------------------------------------------------------------------------------


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short tags (!Ref, !Sub, !GetAtt, !If, …) as their long form."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_TemplateLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: str | Path | None = None) -> dict:
    """The template as plain data, short tags turned into ``{"Ref": …}`` / ``{"Fn::…": …}``."""
    with open(path or TEMPLATE_PATH, encoding="utf-8") as f:
        return yaml.load(f, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {rid: r for rid, r in template.get("Resources", {}).items() if r.get("Type") == resource_type}


def function_properties(template: dict, logical_id: str) -> dict:
    """A function's properties with ``Globals.Function`` applied underneath, as SAM merges them."""
    resource = template["Resources"][logical_id]
    if resource.get("Type") != FUNCTION_TYPE:
        raise ValueError(f"{logical_id} is not an {FUNCTION_TYPE}")
    merged = dict(template.get("Globals", {}).get("Function", {}))
    for key, value in resource.get("Properties", {}).items():
        if key == "Environment" and "Environment" in merged:
            variables = {**merged["Environment"].get("Variables", {}), **value.get("Variables", {})}
            merged["Environment"] = {"Variables": variables}
        else:
            merged[key] = value
    return merged


def function_handler(template: dict, logical_id: str) -> tuple[str, str]:
    """``(module, attribute)`` of a function's Handler, e.g. ``("handlers.api", "handler")``."""
    handler = function_properties(template, logical_id)["Handler"]
    module, _, attribute = handler.rpartition(".")
    # The Lambda Python runtime accepts "dir/module.attr" too and imports it as "dir.module".
    return module.replace("/", "."), attribute


def load_function_handler(template: dict, logical_id: str):
    """Import the callable a function's Handler names, as the Lambda runtime does."""
    module, attribute = function_handler(template, logical_id)
    return getattr(importlib.import_module(module), attribute)


# --- resolving intrinsics --------------------------------------------------------------------------------


def _parameter_defaults(template: dict) -> dict[str, str]:
    return {
        name: str(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }


def _resolve(value: Any, names: Mapping[str, str], template: dict) -> Any:
    """Resolve Ref / GetAtt / Sub against ``names`` (physical names, parameter or pseudo-parameter values),
    falling back to parameter defaults. Anything else is refused rather than guessed."""
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, list):
        return [_resolve(v, names, template) for v in value]
    if not isinstance(value, dict):
        raise ValueError(f"cannot resolve {value!r}")
    function, argument = next(iter(value.items())) if len(value) == 1 else ("", None)
    if function != "Ref" and not function.startswith("Fn::"):
        return {k: _resolve(v, names, template) for k, v in value.items()}
    lookup = {**_parameter_defaults(template), **names}
    if function == "Ref":
        if argument not in lookup:
            raise KeyError(f"no value given for Ref {argument!r}; pass it in the names mapping")
        return lookup[argument]
    if function == "Fn::GetAtt":
        key = ".".join(argument)
        if key not in lookup:
            raise KeyError(f"no value given for GetAtt {key!r}; pass it in the names mapping")
        return lookup[key]
    if function == "Fn::Sub" and isinstance(argument, str):

        def substitute(match: re.Match) -> str:
            key = match.group(1)
            if key not in lookup:
                raise KeyError(f"no value given for ${{{key}}} in Fn::Sub; pass it in the names mapping")
            return str(lookup[key])

        return re.sub(r"\$\{([^}!]+)\}", substitute, argument)
    raise ValueError(f"{function} is not resolved locally")


def function_environment(
    template: dict, logical_id: str, resource_names: Mapping[str, str]
) -> dict[str, str]:
    """The function's environment variables (Globals included) with Refs resolved: resources to the given
    physical names, parameters to the given values or else their template defaults."""
    variables = function_properties(template, logical_id).get("Environment", {}).get("Variables", {})
    return {key: str(_resolve(value, resource_names, template)) for key, value in variables.items()}


# --- creating the resources ------------------------------------------------------------------------------


def _clients(session_or_clients) -> dict:
    if isinstance(session_or_clients, Mapping):
        return dict(session_or_clients)
    if session_or_clients is None:
        import boto3

        session_or_clients = boto3.session.Session()
    return {service: session_or_clients.client(service) for service in ("dynamodb", "s3", "events")}


def _table_request(properties: dict, table_name: str) -> dict:
    request = {key: properties[key] for key in _TABLE_PROPERTIES if key in properties}
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if index_kind in request:
            request[index_kind] = [
                {k: index[k] for k in _INDEX_PROPERTIES if k in index} for index in request[index_kind]
            ]
    return {"TableName": table_name, **request}


def _create_table(dynamodb, properties: dict, table_name: str) -> None:
    try:
        dynamodb.create_table(**_table_request(properties, table_name))
    except dynamodb.exceptions.ResourceInUseException:
        return  # already there (a second call in the same endpoint)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": bool(ttl["Enabled"])},
        )
    pitr = properties.get("PointInTimeRecoverySpecification", {})
    if pitr.get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )


def _lifecycle_rule(rule: dict) -> dict:
    """CloudFormation's flat lifecycle rule → the S3 API's shape."""
    api_rule: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {}}
    if "Prefix" in rule:
        api_rule["Filter"] = {"Prefix": rule["Prefix"]}
    if "TagFilters" in rule:
        (tag,) = rule["TagFilters"]  # the template has one tag per rule
        api_rule["Filter"] = {"Tag": {"Key": tag["Key"], "Value": str(tag["Value"])}}
    if "ExpirationInDays" in rule:
        api_rule["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        api_rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return api_rule


def _encryption_rule(rule: dict) -> dict:
    """CloudFormation's ServerSideEncryptionRule → the S3 API's (which says "Apply…ByDefault")."""
    api_rule = {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
    if "BucketKeyEnabled" in rule:
        api_rule["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
    return api_rule


def _create_bucket(s3, properties: dict, bucket_name: str) -> None:
    region = s3.meta.region_name
    extra = (
        {} if region in (None, "us-east-1") else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    # Already there (a second call in the same endpoint): the settings below are idempotent, apply them again.
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket_name, **extra)
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(
            Bucket=bucket_name, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"]
        )
    encryption = properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
    if encryption:
        rules = [_encryption_rule(rule) for rule in encryption]
        s3.put_bucket_encryption(Bucket=bucket_name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "OwnershipControls" in properties:
        s3.put_bucket_ownership_controls(
            Bucket=bucket_name, OwnershipControls=properties["OwnershipControls"]
        )
    rules = properties.get("LifecycleConfiguration", {}).get("Rules")
    if rules:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket_name, LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in rules]}
        )


def _create_event_bus(events, bus_name: str) -> None:
    try:
        events.create_event_bus(Name=bus_name)
    except events.exceptions.ResourceAlreadyExistsException:
        return


def create_resources(
    names: Mapping[str, str],
    session_or_clients=None,
    template: dict | None = None,
) -> dict[str, str]:
    """Create every table, bucket and event bus of the template and return ``{logical id: physical name}``.

    ``names`` maps each logical id to the physical name to use (template parameters may be given too; they
    resolve intrinsics such as ``ExpirationInDays: !Ref ResultsRetentionDays``). ``session_or_clients`` is a
    boto3 Session, a ``{"dynamodb"|"s3"|"events": client}`` mapping, or None for boto3's default session
    (which honours ``AWS_ENDPOINT_URL``, e.g. moto's server). Creating what already exists is a no-op.
    """
    template = template or load_template()
    clients = _clients(session_or_clients)

    def resolved(properties: dict) -> dict:
        return _resolve(properties, names, template)

    creators = {
        TABLE_TYPE: lambda props, name: _create_table(clients["dynamodb"], resolved(props), name),
        BUCKET_TYPE: lambda props, name: _create_bucket(clients["s3"], resolved(props), name),
        # The bus's template Name derives from the stack name; locally the given name replaces it.
        EVENT_BUS_TYPE: lambda _props, name: _create_event_bus(clients["events"], name),
    }
    created: dict[str, str] = {}
    for resource_type, create in creators.items():
        for logical_id, resource in resources_of_type(template, resource_type).items():
            if logical_id not in names:
                raise KeyError(f"no physical name given for {logical_id} ({resource_type})")
            create(resource.get("Properties", {}), names[logical_id])
            created[logical_id] = names[logical_id]
    return created
