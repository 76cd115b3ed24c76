"""deploy/k8s/, checked offline in well under a second: every core manifest against the Kubernetes
schemas (kubernetes-validate bundles them), the Strimzi resources against what the code names
(shared.topics, partners.yaml), and the generated files against what the generator renders now."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from deploy.k8s import generate_topics
from deploy.kafka.access import PARTNER_QUOTA
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
# the oldest Kubernetes the manifests promise to run on, and the newest the validator knows
KUBERNETES_VERSIONS = ("1.30", kubernetes_validate.latest_version())
STRIMZI = "kafka.strimzi.io/v1"
PORTS = {"intake": 8001, "referral": 8002, "grants": 8003, "reporting": 8004}

# The service contract: what each service's code consumes and publishes. ACLs and HPA bounds follow.
TOPICS = Topics()
CONSUMES: dict[str, list[TopicSpec]] = {
    "intake": [TOPICS.referral_status, TOPICS.grants_installments],
    "referral": [TOPICS.returnees, TOPICS.referral_responses],
    "grants": [TOPICS.returnees, TOPICS.referral_status],
    "reporting": [
        TOPICS.returnees,
        TOPICS.referral_status,
        TOPICS.grants_installments,
        TOPICS.ledger_checkpoints,
    ],
}
# topics read by prefix (every partner's answer topic, including partners added later) → their DLQ
READS_BY_PREFIX: dict[str, list[tuple[str, str]]] = {
    "referral": [("referral.responses.", TOPICS.partner_responses_dlq.name)],
}
PUBLISHES: dict[str, list[tuple[str, str]]] = {
    "intake": [(TOPICS.returnees.name, "literal")],
    "referral": [
        ("referrals.", "prefix"),
        (TOPICS.referral_status.name, "literal"),
        # the partner portal answers for a partner's staff on that partner's own answer topic
        ("referral.responses.", "prefix"),
    ],
    "grants": [(TOPICS.grants_installments.name, "literal"), (TOPICS.ledger_checkpoints.name, "literal")],
    "reporting": [],
}
# Kafka client settings the Deployments set for issue 7 item 1 (SASL/SCRAM in shared.kafka), which
# shared/settings.py does not define yet; pydantic-settings ignores them until it does.
KAFKA_SECURITY_SETTINGS = {
    "HOMEWARD_KAFKA_SECURITY_PROTOCOL",
    "HOMEWARD_KAFKA_SASL_MECHANISM",
    "HOMEWARD_KAFKA_SASL_USERNAME",
    "HOMEWARD_KAFKA_SASL_PASSWORD",
    "HOMEWARD_KAFKA_SSL_CAFILE",
}

Acl = tuple[str, str, str, frozenset[str]]


def load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def env_file(path: Path) -> dict[str, str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _generated_config_maps(folder: Path, kustomization: dict[str, Any]) -> list[dict[str, Any]]:
    maps = []
    for generator in kustomization.get("configMapGenerator", []):
        data = {Path(f).name: (folder / f).read_text(encoding="utf-8") for f in generator.get("files", [])}
        for envs in generator.get("envs", []):
            data.update(env_file(folder / envs))
        metadata = {"name": generator["name"]}
        maps.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data})
    return maps


@functools.cache
def kustomized() -> tuple[tuple[Path, ...], tuple[dict[str, Any], ...]]:
    """The files `kubectl apply -k deploy/k8s` reads, and every document it applies."""
    files: list[Path] = []
    documents: list[dict[str, Any]] = []

    def walk(folder: Path) -> None:
        kustomization = load(folder / "kustomization.yaml")[0]
        for entry in kustomization.get("resources", []):
            path = folder / entry
            if path.is_dir():
                walk(path)
            else:
                files.append(path)
                documents.extend(load(path))
        documents.extend(_generated_config_maps(folder, kustomization))

    walk(K8S)
    return tuple(files), tuple(documents)


def applied() -> tuple[dict[str, Any], ...]:
    return kustomized()[1]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in applied() if doc["kind"] == kind}


def acls(user: dict[str, Any]) -> set[Acl]:
    return {
        (
            r["resource"]["type"],
            r["resource"]["name"],
            r["resource"]["patternType"],
            frozenset(r["operations"]),
        )
        for r in user["spec"]["authorization"]["acls"]
    }


def partners() -> list[str]:
    path = REPO / "deploy" / "config" / "partners.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return sorted(p["id"] for p in (document or {}).get("partners") or [])


def test_every_manifest_in_deploy_k8s_is_applied_except_the_secret_template() -> None:
    on_disk = {p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml" and p.parent.name != "config"}
    assert on_disk - set(kustomized()[0]) == {K8S / "secret-template.yaml"}, "a manifest nothing applies"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_core_manifests_validate_against_the_kubernetes_schemas(version: str) -> None:
    template = load(K8S / "secret-template.yaml")
    core = [doc for doc in applied() if not doc["apiVersion"].startswith("kafka.strimzi.io/")] + template
    errors = []
    for doc in core:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {error.message}")
    assert len(core) >= 15, "fewer manifests than the three services alone need"
    assert errors == []


def test_generated_files_match_the_code_and_deploy_config() -> None:
    differ = generate_topics.out_of_date()
    assert differ == [], f"run `.venv/bin/python -m deploy.k8s.generate_topics`: {differ} are out of date"


@pytest.mark.parametrize("service", PORTS)
def test_each_service_runs_hardened_with_probes_and_its_own_credentials(service: str) -> None:
    pod = of_kind("Deployment")[service]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port = PORTS[service]
    assert container["image"] == "homeward"
    assert container["args"] == [service, "--host", "0.0.0.0", "--port", str(port)]  # noqa: S104
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod["automountServiceAccountToken"] is False
    assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} >= {"kubernetes.io/hostname"}

    env = {e["name"]: e for e in container["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "homeward-database", "key": service}
    assert env["HOMEWARD_KAFKA_SASL_USERNAME"]["value"] == service
    password = env["HOMEWARD_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password == {"name": service, "key": "password"}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    settings = env_file(K8S / "settings.env")
    assert mounts[settings["HOMEWARD_CONFIG_DIR"]]["readOnly"] is True
    assert Path(settings["HOMEWARD_KAFKA_SSL_CAFILE"]).parent.as_posix() in mounts


@pytest.mark.parametrize("service", PORTS)
def test_only_the_migration_step_holds_the_owners_credentials(service: str) -> None:
    pod = of_kind("Deployment")[service]["spec"]["template"]["spec"]
    (migrate,) = pod["initContainers"]
    (container,) = pod["containers"]
    assert migrate["args"] == [service, "migrate"]
    owner = {e["name"]: e for e in migrate["env"]}["HOMEWARD_MIGRATION_DATABASE_URL"]
    assert owner["valueFrom"]["secretKeyRef"] == {"name": "homeward-database", "key": "owner"}
    assert "owner" not in str(container["env"])
    assert env_file(K8S / "settings.env")["HOMEWARD_MIGRATE_ON_START"] == "false"
    assert migrate["securityContext"]["readOnlyRootFilesystem"] is True


def test_every_secret_and_config_map_a_pod_reads_is_provided() -> None:
    # Strimzi makes a Secret per KafkaUser (key `password`) and the cluster CA certificate
    provided = {name: {"password", "sasl.jaas.config"} for name in of_kind("KafkaUser")}
    provided[f"{next(iter(of_kind('Kafka')))}-cluster-ca-cert"] = {"ca.crt"}
    for template in load(K8S / "secret-template.yaml"):
        provided[template["metadata"]["name"]] = set(template["stringData"])
    config_maps = of_kind("ConfigMap")
    for name, deployment in of_kind("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            for ref in [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]:
                assert ref["key"] in provided.get(ref["name"], set()), (name, ref)
            for source in container["envFrom"]:
                assert source["configMapRef"]["name"] in config_maps, name
        for volume in pod["volumes"]:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, name
            if "secret" in volume:
                keys = {item["key"] for item in volume["secret"]["items"]}
                assert keys <= provided[volume["secret"]["secretName"]], name
    assert set(config_maps["homeward-data"]["data"]) >= {"donor-policies.yaml", "municipalities.yaml"}


def test_settings_name_only_what_shared_settings_reads() -> None:
    known = {f"HOMEWARD_{field.upper()}" for field in Settings.model_fields} | {
        "KAFKA_BOOTSTRAP_SERVERS",
        "DATABASE_URL",
    }
    assert set(env_file(K8S / "settings.env")) - known - KAFKA_SECURITY_SETTINGS == set()


def test_the_secret_template_holds_placeholders_only() -> None:
    secret, signing_key = load(K8S / "secret-template.yaml")
    assert set(secret["stringData"]) == {*PORTS, "owner"}
    assert all("CHANGE_ME" in url for url in secret["stringData"].values())
    assert signing_key["stringData"] == {"signing-key.pem": "CHANGE_ME (the PEM of `homeward ledger keygen`)"}
    assert not any(doc["kind"] == "Secret" for doc in applied())


@pytest.mark.parametrize("service", PORTS)
def test_each_service_has_a_service_a_pdb_and_an_hpa_bounded_by_its_partitions(service: str) -> None:
    pods: dict[str, str] = of_kind("Deployment")[service]["spec"]["template"]["metadata"]["labels"]

    def selects(selector: dict[str, str]) -> bool:
        return selector.items() <= pods.items()

    assert selects(of_kind("Service")[service]["spec"]["selector"])
    assert of_kind("Service")[service]["spec"]["ports"][0]["targetPort"] == "http"
    pdb = of_kind("PodDisruptionBudget")[service]["spec"]
    assert selects(pdb["selector"]["matchLabels"])
    assert pdb.get("maxUnavailable") == 1 or pdb.get("minAvailable") == 1
    hpa = of_kind("HorizontalPodAutoscaler")[service]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
    assert "replicas" not in of_kind("Deployment")[service]["spec"], "the HPA owns the replica count"
    # a consumer group gives each partition to one member: replicas past the largest consumed
    # topic's partition count would consume nothing
    bound = max(spec.partitions for spec in CONSUMES[service])
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"] <= bound


def test_kafka_runs_in_kraft_with_three_brokers_scram_and_acls() -> None:
    (name, kafka), *others = of_kind("Kafka").items()
    assert others == []
    pools = list(of_kind("KafkaNodePool").values())
    for doc in [kafka, *pools, *of_kind("KafkaTopic").values(), *of_kind("KafkaUser").values()]:
        assert doc["apiVersion"] == STRIMZI, doc["metadata"]["name"]
    for pool in pools:
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == name
        assert pool["spec"]["roles"]
        assert pool["spec"]["storage"]["volumes"]
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    assert (brokers, controllers) == (3, 3)
    spec = kafka["spec"]["kafka"]
    assert spec["listeners"], "no listener"
    for listener in spec["listeners"]:
        assert listener["tls"] is True
        assert listener["authentication"] == {"type": "scram-sha-512"}
    assert spec["authorization"] == {"type": "simple"}
    config = spec["config"]
    assert config["min.insync.replicas"] == 2
    assert config["default.replication.factor"] == 3
    assert config["offsets.topic.replication.factor"] == 3
    assert config["transaction.state.log.min.isr"] == 2
    assert config["auto.create.topics.enable"] is False
    assert {"topicOperator", "userOperator"} <= set(kafka["spec"]["entityOperator"])


def test_every_topic_the_code_names_is_a_kafka_topic_with_replication_3() -> None:
    per_partner = [t for p in partners() for t in (TOPICS.partner(p), TOPICS.partner_responses(p))]
    named = [
        *TOPICS.with_dlqs(TOPICS.fixed()),
        *TOPICS.read_outside(),
        TOPICS.ledger_checkpoints.dlq,  # reporting consumes the checkpoints
        TOPICS.partner_responses_dlq,
        *per_partner,
    ]
    wanted = {s.name: s for s in named}
    topics = of_kind("KafkaTopic")
    assert set(topics) == set(wanted)
    for name, topic in topics.items():
        spec = topic["spec"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == next(iter(of_kind("Kafka")))
        assert (spec["partitions"], spec["replicas"]) == (wanted[name].partitions, 3), name
        assert spec["config"]["min.insync.replicas"] == 2, name
        assert spec["config"]["retention.ms"] == wanted[name].retention_ms, name


@pytest.mark.parametrize("service", PORTS)
def test_each_service_user_may_do_exactly_what_its_code_does(service: str) -> None:
    user = of_kind("KafkaUser")[service]
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
    expected: set[Acl] = {("group", f"{service}.", "prefix", frozenset({"Read"}))}
    for spec in CONSUMES[service]:
        expected.add(("topic", spec.name, "literal", frozenset({"Read", "Describe"})))
        expected.add(("topic", spec.dlq.name, "literal", frozenset({"Write", "Describe"})))
    for prefix, dead_letters in READS_BY_PREFIX.get(service, []):
        expected.add(("topic", prefix, "prefix", frozenset({"Read", "Describe"})))
        expected.add(("topic", dead_letters, "literal", frozenset({"Write", "Describe"})))
    for name, pattern in PUBLISHES[service]:
        expected.add(("topic", name, pattern, frozenset({"Write", "Describe"})))
    assert acls(user) == expected
    assert "quotas" not in user["spec"], "a service is not held to a partner's quota"


def partner_acls(partner_id: str) -> set[Acl]:
    return {
        ("topic", f"referrals.{partner_id}.", "prefix", frozenset({"Read", "Describe"})),
        ("group", f"partner.{partner_id}.", "prefix", frozenset({"Read"})),
        ("topic", f"referral.responses.{partner_id}.", "prefix", frozenset({"Write", "Describe"})),
        # the deprecated shared topic, for its deprecation period
        ("topic", TOPICS.referral_responses.name, "literal", frozenset({"Write", "Describe"})),
    }


def test_each_partner_user_has_exactly_its_acls_and_the_partner_quota() -> None:
    users = {name: u for name, u in of_kind("KafkaUser").items() if name.startswith("partner-")}
    assert set(users) == {f"partner-{p}" for p in partners()}
    for partner_id in partners():
        user = users[f"partner-{partner_id}"]
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert acls(user) == partner_acls(partner_id)
        assert user["spec"]["quotas"] == {
            "producerByteRate": PARTNER_QUOTA.producer_byte_rate,
            "consumerByteRate": PARTNER_QUOTA.consumer_byte_rate,
        }


def test_a_partner_prefix_never_reaches_another_partners_topic() -> None:
    # holds whether or not partners.yaml exists yet: the generator's rule, on ids that share a start
    for partner_id, other in [("abc", "abc-shelter"), ("red-cross", "red-cross-tetovo")]:
        rules = acls(generate_topics.partner_user(partner_id))
        assert rules == partner_acls(partner_id)
        prefixes = [name for kind, name, pattern, _ in rules if kind == "topic" and pattern == "prefix"]
        assert len(prefixes) == 2
        for others in (TOPICS.partner(other), TOPICS.partner_responses(other), TOPICS.partner_responses_dlq):
            assert not any(others.name.startswith(p) for p in prefixes), others.name
        own = (TOPICS.partner(partner_id).name, TOPICS.partner_responses(partner_id).name)
        assert all(any(name.startswith(p) for p in prefixes) for name in own)


def test_only_grants_mounts_the_ledger_signing_key_read_only() -> None:
    mounting = {}
    for name, deployment in of_kind("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        (container,) = pod["containers"]
        for mount in container["volumeMounts"]:
            secret = volumes[mount["name"]].get("secret", {})
            if secret.get("secretName") == "homeward-ledger-signing-key":
                mounting[name] = (mount, secret, {e["name"]: e.get("value") for e in container["env"]})
    (mount, secret, env) = mounting.pop("grants")
    assert mounting == {}
    assert mount["readOnly"] is True
    assert secret["defaultMode"] == 0o400
    assert env["HOMEWARD_LEDGER_SIGNING_KEY_FILE"] == f"{mount['mountPath']}/signing-key.pem"
