"""The artifacts volume and the jobs writing into it: rendered by the real helm, checked against what the serving
pods read (the same claim, the folders their settings name) and what the CLI accepts (each job's command lines
parse with the real `shopmesh` argument parser)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from shopmesh.cli.main import build_parser
from tests.charts.conftest import CHART, Manifest, of_kind
from tests.charts.test_settings import container_of, shopmesh_env

pytestmark = pytest.mark.integration

Render = Callable[..., list[Manifest]]
JOBS_ON = CHART / "ci" / "jobs-on.yaml"
MOUNT = "/var/lib/shopmesh-artifacts"


def pod_spec(obj: Manifest) -> dict[str, Any]:
    spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
    pod: dict[str, Any] = spec["template"]["spec"]
    return pod


def test_no_artifacts_volume_no_jobs(render: Render) -> None:
    objects = render()
    assert not [o for o in objects if o["kind"] in ("CronJob", "PersistentVolumeClaim")]
    assert "INDEX_ROOT" not in shopmesh_env(container_of(objects, "retrieval"), "retrieval")


def test_jobs_are_cronjobs_with_install_hooks_in_order(render: Render) -> None:
    objects = render(JOBS_ON)
    crons = of_kind(objects, "CronJob")
    assert sorted(crons) == ["index-job", "ranker-job", "user-tower-job"]
    for obj in crons.values():
        model = client.ApiClient().deserialize(json.dumps(obj), "V1CronJob", "application/json")
        assert model.spec.job_template.spec.template.spec.containers[0].command == ["sh", "-c"]
        assert obj["spec"]["concurrencyPolicy"] == "Forbid" and obj["spec"]["suspend"] is False
    hooks = [o for o in objects if o["kind"] == "Job" and o["metadata"]["name"].endswith("-install")
             and "post-install" in o["metadata"]["annotations"]["helm.sh/hook"]]
    order = sorted(hooks, key=lambda o: int(o["metadata"]["annotations"]["helm.sh/hook-weight"]))
    assert [o["metadata"]["labels"]["app.kubernetes.io/component"] for o in order] == [
        "user-tower-job", "index-job", "ranker-job"]


def test_schedule_and_suspend_come_from_values(render: Render) -> None:
    crons = of_kind(render(JOBS_ON, sets=("jobs.ranker.schedule=5 5 * * 1", "jobs.ranker.suspend=true",
                                          "jobs.index.enabled=false")), "CronJob")
    assert "index-job" not in crons
    assert crons["ranker-job"]["spec"]["schedule"] == "5 5 * * 1" and crons["ranker-job"]["spec"]["suspend"] is True


def test_job_pods_are_non_root_read_only_with_resources_and_write_the_claim(render: Render) -> None:
    objects = render(JOBS_ON)
    claim = next(o for o in objects if o["kind"] == "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for obj in [o for o in objects if o["kind"] in ("CronJob", "Job") and "-job" in o["metadata"]["name"]]:
        pod = pod_spec(obj)
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
        mount = next(m for m in container["volumeMounts"] if m["name"] == "artifacts")
        assert mount["mountPath"] == MOUNT and not mount.get("readOnly")
        volume = next(v for v in pod["volumes"] if v["name"] == "artifacts")
        assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]


def commands_of(obj: Manifest) -> list[list[str]]:
    # What the shell makes of the newest-tower expansion when a tower version exists.
    script = pod_spec(obj)["containers"][0]["args"][0].replace(
        '${tower:+--tower "$tower"}', f"--tower {MOUNT}/models/user-tower-movielens/3/")
    # A gated retrain's `|| [ $? -eq 3 ]` (a refused candidate is not a failed run) is the shell's, not the CLI's.
    lines = [shlex.split(line.split(" || ", 1)[0]) for line in script.splitlines()]
    return [words[1:] for words in lines if words and words[0] == "shopmesh"]


def test_job_commands_parse_and_write_where_the_services_read(render: Render) -> None:
    """Each job's `shopmesh ...` lines parse with the real CLI parser, and their output folders are the ones the
    serving pods' settings point at (ranking MODELS_DIR, retrieval INDEX_ROOT) on the same claim, read-only."""
    objects = render(JOBS_ON)
    crons = of_kind(objects, "CronJob")
    parser = build_parser()
    parsed = {name: [parser.parse_args(words) for words in commands_of(obj)] for name, obj in crons.items()}
    ranking = shopmesh_env(container_of(objects, "ranking"), "ranking")
    retrieval = shopmesh_env(container_of(objects, "retrieval"), "retrieval")
    (ranker,) = [a for a in parsed["ranker-job"] if a.command == "retrain"]  # gated by default
    assert f"{ranker.models_dir}/artifacts" == ranking["MODELS_DIR"] and ranking["TRAIN_MISSING_MODEL"] == "false"
    assert ranker.tolerance == 0.01 and ranker.catalog == "movielens"
    script = pod_spec(crons["ranker-job"])["containers"][0]["args"][0]
    assert script.rstrip().endswith("|| [ $? -eq 3 ]")
    (index,) = [a for a in parsed["index-job"] if a.command == "build"]
    assert str(index.root) == retrieval["INDEX_ROOT"] and index.promote and retrieval["BUILD_ON_START"] == "false"
    (tower,) = [a for a in parsed["user-tower-job"] if a.command == "train"]
    assert str(tower.out).startswith(f"{MOUNT}/models/")
    assert "--tower" in pod_spec(crons["index-job"])["containers"][0]["args"][0]
    for name in ("ranking", "retrieval"):
        mount = next(m for m in container_of(objects, name)["volumeMounts"] if m["name"] == "artifacts")
        assert mount["mountPath"] == MOUNT and mount["readOnly"] is True
    install = next(o for o in objects if o["kind"] == "Job" and o["metadata"]["name"].endswith("ranker-job-install"))
    assert parser.parse_args(commands_of(install)[-1]).quick
    assert not ranker.quick, "the scheduled run trains the full recipe"


def test_config_files_become_a_mounted_configmap(render: Render) -> None:
    objects = render(JOBS_ON)
    container = container_of(objects, "ranking")
    path = shopmesh_env(container, "ranking")["RULES_FILE"]
    assert path is not None
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert path.startswith(mount["mountPath"] + "/")
    config = of_kind(objects, "ConfigMap")["ranking"]
    assert path.rsplit("/", 1)[1] in config["data"]


def test_a_changed_config_file_rolls_the_deployment(render: Render) -> None:
    def checksum(*sets: str) -> str:
        meta = of_kind(render(JOBS_ON, sets=sets), "Deployment")["ranking"]["spec"]["template"]["metadata"]
        value: str = meta["annotations"]["checksum/config"]
        return value

    assert checksum() != checksum("components.ranking.configFiles.RULES_FILE=rule_sets: {x: 1}")
    assert "checksum/config" not in of_kind(render(), "Deployment")["ranking"]["spec"]["template"]["metadata"].get(
        "annotations", {})


def test_the_ranker_job_trains_ungated_when_the_gate_is_off(render: Render) -> None:
    crons = of_kind(render(JOBS_ON, sets=("jobs.ranker.gate=false",)), "CronJob")
    parsed = [build_parser().parse_args(words) for words in commands_of(crons["ranker-job"])]
    assert [a.command for a in parsed if a.command in ("train", "retrain")] == ["train"]
    assert "||" not in pod_spec(crons["ranker-job"])["containers"][0]["args"][0]
