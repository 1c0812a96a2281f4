"""template.yaml deploys what the design says, its handlers import, the local stack builds the same resources
from it, and events/ holds a valid API Gateway (HTTP API v2) event for every route plus the scheduler tick."""

from __future__ import annotations

import base64
import email
import importlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from mangum import Mangum

from infra import template_resources

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
EVENTS = sorted((ROOT / "events").glob("*.json"))
VENV_BIN = Path(sys.executable).parent
ROUTE_KEY = "ANY /anthropic/{proxy+}"

# The whole client-facing surface (issue 2, item 4): every route needs an event file.
ROUTES = {
    ("POST", "/anthropic/v1/files"),
    ("GET", "/anthropic/v1/files"),
    ("GET", "/anthropic/v1/files/{id}"),
    ("GET", "/anthropic/v1/files/{id}/content"),
    ("DELETE", "/anthropic/v1/files/{id}"),
    ("POST", "/anthropic/v1/messages/batches"),
    ("GET", "/anthropic/v1/messages/batches"),
    ("GET", "/anthropic/v1/messages/batches/{id}"),
    ("POST", "/anthropic/v1/messages/batches/{id}/cancel"),
    ("DELETE", "/anthropic/v1/messages/batches/{id}"),
    ("GET", "/anthropic/v1/messages/batches/{id}/results"),
}

NAMES = {
    "GatewayTable": "bb-template-test",
    "GatewayBucket": "bb-template-test",
    "BatchEventBus": "bb-template-test",
}


@pytest.fixture(scope="module")
def template() -> dict:
    return template_resources.load_template(TEMPLATE)


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template["Resources"]


def _function(template, logical_id: str) -> dict:
    return template_resources.function_properties(template, logical_id)


def _functions(template) -> list[str]:
    return sorted(template_resources.resources_of_type(template, template_resources.FUNCTION_TYPE))


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


# --- the template validates -------------------------------------------------------------------------------


def test_cfn_lint_finds_nothing():
    result = _run(str(VENV_BIN / "cfn-lint"), "--include-checks", "I", "--", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_sam_validate_with_lint_accepts_the_template():
    result = _run(str(VENV_BIN / "sam"), "validate", "--lint", "--region", "us-east-1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


# --- what gets deployed -------------------------------------------------------------------------------------


def test_http_api_serves_the_anthropic_prefix_without_a_stage_in_the_path(template, resources):
    assert resources["GatewayApi"]["Type"] == "AWS::Serverless::HttpApi"
    assert resources["GatewayApi"]["Properties"]["StageName"] == "$default"
    events = resources["ApiFunction"]["Properties"]["Events"]
    (route,) = events.values()
    assert route["Type"] == "HttpApi"
    assert route["Properties"] == {
        "ApiId": {"Ref": "GatewayApi"},
        "Method": "ANY",
        "Path": "/anthropic/{proxy+}",
        "PayloadFormatVersion": "2.0",
    }


def test_poller_runs_every_minute_on_eventbridge_scheduler(resources):
    (tick,) = resources["PollerFunction"]["Properties"]["Events"].values()
    assert tick["Type"] == "ScheduleV2"
    assert tick["Properties"]["ScheduleExpression"] == "rate(1 minute)"


def test_functions_run_python_3_13_on_arm64_within_api_gateway_timeout(template):
    for logical_id in _functions(template):
        function = _function(template, logical_id)
        assert function["Runtime"] == "python3.13"
        assert function["Architectures"] == ["arm64"]
        assert function["CodeUri"] == "."
    # HTTP API gives up after 30 s; the poller may take minutes but not Lambda's 15.
    assert _function(template, "ApiFunction")["Timeout"] < 30
    assert _function(template, "ApiFunction")["MemorySize"] == 1024
    assert 60 <= _function(template, "PollerFunction")["Timeout"] <= 900


def test_makefile_builds_for_the_templates_runtime_and_architecture(template):
    """`sam build` delegates to the Makefile, which must resolve wheels for the same Python and CPU."""
    makefile = (ROOT / "Makefile").read_text()
    version = re.search(r"^LAMBDA_PYTHON_VERSION := (\S+)$", makefile, re.M).group(1)
    platforms = re.search(r"^LAMBDA_PLATFORMS := (.+)$", makefile, re.M).group(1).split()
    runtime = template["Globals"]["Function"]["Runtime"]
    assert runtime == f"python{version}"
    assert platforms and all(p.endswith("_aarch64") for p in platforms)
    for logical_id in _functions(template):
        assert template["Resources"][logical_id]["Metadata"] == {"BuildMethod": "makefile"}
        assert f"build-{logical_id}:" in makefile or f"build-{logical_id} " in makefile


def test_snapstart_is_an_option_applied_to_the_published_versions_events_invoke(template):
    parameter = template["Parameters"]["EnableSnapStart"]
    assert parameter["AllowedValues"] == ["true", "false"] and parameter["Default"] == "false"
    assert template["Conditions"]["SnapStartEnabled"] == {"Fn::Equals": [{"Ref": "EnableSnapStart"}, "true"]}
    globals_ = template["Globals"]["Function"]
    assert globals_["SnapStart"] == {
        "Fn::If": ["SnapStartEnabled", {"ApplyOn": "PublishedVersions"}, {"Ref": "AWS::NoValue"}]
    }
    # Without an alias the events would invoke $LATEST, which SnapStart never applies to.
    assert globals_["AutoPublishAlias"]
    for logical_id in _functions(template):
        assert _function(template, logical_id)["AutoPublishAliasAllProperties"] is True


def test_parameters_for_auth_mode_and_provider_keys_secret(template):
    params = template["Parameters"]
    assert params["AuthMode"]["AllowedValues"] == ["open", "keys"]
    assert params["AuthMode"]["Default"] == "keys"
    assert params["ProviderKeysSecretName"]["Default"] == "batchbridge/provider-keys"
    assert params["ResultsRetentionDays"]["Type"] == "Number"


def test_functions_get_their_configuration_from_the_template(template):
    env = template_resources.function_environment(template, "ApiFunction", NAMES)
    assert env == {
        "BATCHBRIDGE_TABLE": "bb-template-test",
        "BATCHBRIDGE_BUCKET": "bb-template-test",
        "BATCHBRIDGE_EVENT_BUS": "bb-template-test",
        "BATCHBRIDGE_AUTH": "keys",
        "BATCHBRIDGE_SECRET_NAME": "batchbridge/provider-keys",
        "BATCHBRIDGE_RESULTS_REDIRECT_BYTES": "4000000",
        "BATCHBRIDGE_RETENTION_DAYS": "30",
        "BATCHBRIDGE_MAX_UPLOAD_BYTES": "4400000",
    }
    assert template_resources.function_environment(template, "PollerFunction", NAMES) == env


def test_function_environment_takes_parameter_values_and_refuses_unknown_refs(template):
    env = template_resources.function_environment(template, "ApiFunction", {**NAMES, "AuthMode": "open"})
    assert env["BATCHBRIDGE_AUTH"] == "open"
    with pytest.raises(KeyError, match="GatewayTable"):
        template_resources.function_environment(template, "ApiFunction", {"GatewayBucket": "b"})


def test_policies_are_scoped_to_the_stacks_own_resources(template):
    secret_arn = {
        "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
        ":secret:${ProviderKeysSecretName}-*"
    }
    for logical_id in _functions(template):
        policies = _function(template, logical_id)["Policies"]
        templates = {key: value for policy in policies for key, value in policy.items() if key != "Statement"}
        assert templates == {
            "DynamoDBCrudPolicy": {"TableName": {"Ref": "GatewayTable"}},
            "S3CrudPolicy": {"BucketName": {"Ref": "GatewayBucket"}},
            "EventBridgePutEventsPolicy": {"EventBusName": {"Ref": "BatchEventBus"}},
        }
        statements = [s for policy in policies for s in policy.get("Statement", [])]
        # Only the API uploads files, some of them tagged for the lifecycle rule of expiring uploads.
        tagging = [
            {
                "Sid": "TagExpiringUploads",
                "Effect": "Allow",
                "Action": "s3:PutObjectTagging",
                "Resource": {"Fn::Sub": "${GatewayBucket.Arn}/uploads/*"},
            }
        ]
        assert statements == [
            {
                "Sid": "AbortResultUploads",
                "Effect": "Allow",
                "Action": "s3:AbortMultipartUpload",
                "Resource": {"Fn::Sub": "${GatewayBucket.Arn}/*"},
            },
            *(tagging if logical_id == "ApiFunction" else []),
            {
                "Sid": "ReadProviderKeys",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            },
        ]


def test_table_is_on_demand_recoverable_encrypted_and_expiring(resources):
    table = resources["GatewayTable"]
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_ttl", "Enabled": True}
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"owner-index", "inflight-index"}
    for name, hash_key in (("owner-index", "owner_kind"), ("inflight-index", "inflight")):
        assert indexes[name]["KeySchema"] == [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": "created_key", "KeyType": "RANGE"},
        ]
        assert indexes[name]["Projection"] == {"ProjectionType": "ALL"}


def test_table_defines_exactly_the_attributes_its_keys_use(resources):
    """CloudFormation rejects a definition no key uses, and a key without a definition."""
    props = resources["GatewayTable"]["Properties"]
    schemas = [props["KeySchema"]] + [i["KeySchema"] for i in props["GlobalSecondaryIndexes"]]
    used = {k["AttributeName"] for schema in schemas for k in schema}
    defined = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
    assert set(defined) == used
    assert set(defined.values()) == {"S"}


def test_bucket_is_private_encrypted_and_expires_what_it_holds(resources):
    bucket = resources["GatewayBucket"]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    rules = props["LifecycleConfiguration"]["Rules"]
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in rules if "Prefix" in r}
    # Uploaded files stay until deleted (as on Anthropic), unless uploaded with expires_in_seconds.
    assert expiring == {p: {"Ref": "ResultsRetentionDays"} for p in ("results/", "inputs/")}
    tagged = [(r["TagFilters"], r["ExpirationInDays"]) for r in rules if "TagFilters" in r]
    assert tagged == [([{"Key": "batchbridge-expiring", "Value": "true"}], 91)]
    assert all(r["Status"] == "Enabled" for r in rules)
    aborts = [r["AbortIncompleteMultipartUpload"] for r in rules if "AbortIncompleteMultipartUpload" in r]
    assert aborts == [{"DaysAfterInitiation": 1}]


def test_bucket_refuses_plain_http(resources):
    (statement,) = resources["GatewayBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_event_bus_is_named_after_the_stack(resources):
    assert resources["BatchEventBus"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}-batches"}


def test_outputs_give_the_sdk_base_url_and_resource_names(template):
    outputs = template["Outputs"]
    url = outputs["AnthropicBaseUrl"]["Value"]["Fn::Sub"]
    assert url.startswith("https://${GatewayApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}")
    assert url.endswith("/anthropic")
    assert outputs["TableName"]["Value"] == {"Ref": "GatewayTable"}
    assert outputs["BucketName"]["Value"] == {"Ref": "GatewayBucket"}
    assert outputs["EventBusName"]["Value"] == {"Ref": "BatchEventBus"}


def test_short_tags_are_read_as_intrinsic_functions(template):
    policy = template["Resources"]["GatewayBucketPolicy"]["Properties"]["PolicyDocument"]
    assert policy["Statement"][0]["Resource"][0] == {"Fn::GetAtt": ["GatewayBucket", "Arn"]}
    assert template["Resources"]["GatewayBucketPolicy"]["Properties"]["Bucket"] == {"Ref": "GatewayBucket"}


# --- every handler the template names imports -----------------------------------------------------------


@pytest.mark.parametrize("logical_id", ["ApiFunction", "PollerFunction"])
def test_function_handler_is_a_callable_in_the_deployed_package(template, logical_id):
    module, attribute = template_resources.function_handler(template, logical_id)
    # The artifact holds only the handlers/ package (Makefile build target), so entries must live in it.
    assert module.split(".")[0] == "handlers"
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), f"{module} has no module file"
    handler = getattr(importlib.import_module(module), attribute)
    assert callable(handler)


def test_every_function_in_the_template_is_checked(template):
    assert _functions(template) == ["ApiFunction", "PollerFunction"]


def test_handler_paths_with_slashes_resolve_like_the_lambda_runtime():
    template = {"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "a/b.c"}}}}
    assert template_resources.function_handler(template, "F") == ("a.b", "c")


def test_requirements_ship_every_runtime_dependency_but_boto3():
    """A dependency missing from the artifact is an ImportError in the deployed function only."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    lines = (ROOT / "handlers" / "requirements.txt").read_text().splitlines()
    pinned = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert all("==" in line for line in pinned), "pin versions so a deploy ships what was tested"
    assert {line.split("==")[0].lower() for line in pinned} == wanted - {"boto3"}


# --- the local stack builds the template's resources ---------------------------------------------------


@pytest.fixture
def moto(monkeypatch):
    from moto import mock_aws

    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        import boto3

        yield boto3.session.Session(region_name="us-east-1")


def test_local_table_has_the_templates_keys_indexes_and_ttl(moto, resources):
    names = template_resources.create_resources(NAMES, moto)
    assert names == NAMES
    dynamodb = moto.client("dynamodb")
    table = dynamodb.describe_table(TableName=names["GatewayTable"])["Table"]
    props = resources["GatewayTable"]["Properties"]
    assert table["KeySchema"] == props["KeySchema"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
    local_indexes = {
        i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table["GlobalSecondaryIndexes"]
    }
    assert local_indexes == {
        i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in props["GlobalSecondaryIndexes"]
    }
    ttl = dynamodb.describe_time_to_live(TableName=names["GatewayTable"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_ttl"}
    backups = dynamodb.describe_continuous_backups(TableName=names["GatewayTable"])
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_local_bucket_and_bus_match_the_template(moto):
    names = template_resources.create_resources(NAMES, moto)
    s3 = moto.client("s3")
    bucket = names["GatewayBucket"]
    blocked = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values()) and len(blocked) == 4
    (encryption,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert encryption["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert {
        r["Filter"].get("Prefix"): r.get("Expiration", {}).get("Days")
        for r in rules
        if "Tag" not in r["Filter"]
    } == {
        "results/": 30,
        "inputs/": 30,
        None: None,
    }
    (tagged,) = [r for r in rules if "Tag" in r["Filter"]]
    assert tagged["Filter"]["Tag"] == {"Key": "batchbridge-expiring", "Value": "true"}
    assert tagged["Expiration"]["Days"] == 91
    assert moto.client("events").describe_event_bus(Name=names["BatchEventBus"])["Name"] == "bb-template-test"


def test_parameters_given_with_the_names_shape_the_local_resources(moto):
    template_resources.create_resources({**NAMES, "ResultsRetentionDays": "7"}, moto)
    rules = moto.client("s3").get_bucket_lifecycle_configuration(Bucket=NAMES["GatewayBucket"])["Rules"]
    by_prefix = {r["Filter"]["Prefix"]: r["Expiration"]["Days"] for r in rules if "Prefix" in r["Filter"]}
    assert by_prefix == {"results/": 7, "inputs/": 7}


def test_creating_the_resources_twice_is_harmless(moto):
    template_resources.create_resources(NAMES, moto)
    assert template_resources.create_resources(NAMES, moto) == NAMES
    assert moto.client("dynamodb").list_tables()["TableNames"] == [NAMES["GatewayTable"]]


def test_default_session_follows_the_environment(moto):
    """infra.local points plain boto3 at moto's server through AWS_ENDPOINT_URL; no session is passed."""
    template_resources.create_resources(NAMES)
    assert (
        moto.client("s3").head_bucket(Bucket=NAMES["GatewayBucket"])["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )


def test_a_resource_without_a_physical_name_is_refused(moto):
    with pytest.raises(KeyError, match="GatewayBucket"):
        template_resources.create_resources({"GatewayTable": "t1", "BatchEventBus": "b1"}, moto)


# --- events/ ---------------------------------------------------------------------------------------------


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _http_events() -> list[Path]:
    return [p for p in EVENTS if p.name != "scheduler.json"]


def _body(event: dict) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event["isBase64Encoded"] else body.encode()


def _route(event: dict) -> tuple[str, str]:
    path = re.sub(r"/(file|msgbatch)_[A-Za-z0-9]+", "/{id}", event["rawPath"])
    return event["requestContext"]["http"]["method"], path


def test_there_is_an_event_for_every_route_and_the_scheduler():
    assert {_route(_load(p)) for p in _http_events()} == ROUTES
    assert len(_http_events()) == len(ROUTES)
    assert (ROOT / "events" / "scheduler.json").is_file()


def test_event_route_key_is_the_templates_route(template):
    (route,) = template["Resources"]["ApiFunction"]["Properties"]["Events"].values()
    assert f"{route['Properties']['Method']} {route['Properties']['Path']}" == ROUTE_KEY


@pytest.mark.parametrize("path", _http_events(), ids=lambda p: p.stem)
def test_http_event_is_a_consistent_payload_v2_request(path):
    event = _load(path)
    context = event["requestContext"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == context["routeKey"] == ROUTE_KEY
    assert event["rawPath"].startswith("/anthropic/v1/")
    assert context["http"]["path"] == event["rawPath"]
    assert context["stage"] == "$default"
    assert event["pathParameters"] == {"proxy": event["rawPath"].removeprefix("/anthropic/")}
    assert dict(parse_qsl(event["rawQueryString"])) == event.get("queryStringParameters", {})
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)
    assert headers["x-api-key"] == "dummy"
    assert headers["anthropic-version"]
    assert headers["x-forwarded-proto"] == "https"
    assert headers["host"] == context["domainName"]
    if "content-length" in headers:
        assert int(headers["content-length"]) == len(_body(event))
    # HTTP API base64-encodes non-text bodies (multipart) and passes JSON as text.
    content_type = headers.get("content-type", "")
    assert event["isBase64Encoded"] == content_type.startswith("multipart/form-data")


@pytest.mark.parametrize("path", _http_events(), ids=lambda p: p.stem)
def test_mangum_hands_the_event_to_the_app_as_the_intended_request(path):
    event = _load(path)
    seen = {}

    async def app(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.update(scope=scope, body=body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    response = Mangum(app, lifespan="off")(event, object())
    assert response["statusCode"] == 200
    scope = seen["scope"]
    assert scope["method"] == event["requestContext"]["http"]["method"]
    assert scope["path"] == event["rawPath"]
    assert scope["query_string"] == event["rawQueryString"].encode()
    assert (b"x-api-key", b"dummy") in [tuple(header) for header in scope["headers"]]
    assert seen["body"] == _body(event)


def test_upload_event_carries_a_file_part_named_file():
    event = _load(ROOT / "events" / "files-upload.json")
    raw = f"Content-Type: {event['headers']['content-type']}\r\n\r\n".encode() + _body(event)
    message = email.message_from_bytes(raw)
    (part,) = message.get_payload()
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename() == "notes.txt"
    assert part.get_content_type() == "text/plain"
    assert part.get_payload(decode=True)


def test_create_event_sends_the_reference_pages_two_requests():
    event = _load(ROOT / "events" / "batches-create.json")
    requests = json.loads(_body(event))["requests"]
    assert [r["custom_id"] for r in requests] == ["request-1", "request-2"]
    for request in requests:
        assert {"model", "max_tokens", "messages"} <= set(request["params"])


def test_scheduler_event_is_the_templates_input_with_its_context_filled_in(resources):
    (tick,) = resources["PollerFunction"]["Properties"]["Events"].values()
    declared = json.loads(tick["Properties"]["Input"])
    event = _load(ROOT / "events" / "scheduler.json")

    def shape(value):
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value).__name__

    assert shape(event) == shape(declared)
    assert "<aws.scheduler." not in json.dumps(event)
    for key, value in declared.items():
        if isinstance(value, str) and not value.startswith("<aws.scheduler."):
            assert event[key] == value
