"""The deployment files (deploy/, scripts/serve.sh) checked without Docker or a cluster: the
balancer's own config test, the YAML, and what the replicas share, the checkpoint folder, where
two trainings that finish at once in two processes must both keep their file."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
HAPROXY = "/usr/sbin/haproxy"


def _haproxy_check(config: Path) -> subprocess.CompletedProcess:
    if not Path(HAPROXY).exists():
        pytest.fail("haproxy is missing: apt-get install haproxy (scripts/test.sh does)")
    return subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)


def test_the_balancer_config_passes_haproxy_s_own_check(tmp_path):
    rendered = subprocess.run(
        ["bash", str(ROOT / "scripts/serve.sh"), "--print-config", "app1:8501", "app2:8501"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert rendered.count("    server replica") == 2
    assert "option httpchk GET /_stcore/health" in rendered  # health checks
    assert "cookie LATENTLAB_REPLICA insert" in rendered  # sticky sessions
    assert "option redispatch" in rendered  # a dead replica's pages go elsewhere
    (tmp_path / "haproxy.cfg").write_text(rendered)
    result = _haproxy_check(tmp_path / "haproxy.cfg")
    assert result.returncode == 0, result.stderr
    assert "Configuration file is valid" in result.stdout

    broken = rendered.replace("balance roundrobin", "balance no-such-algorithm")
    (tmp_path / "broken.cfg").write_text(broken)
    assert _haproxy_check(tmp_path / "broken.cfg").returncode != 0  # the check can fail


def test_compose_s_balancer_config_is_the_template_rendered():
    rendered = subprocess.run(
        ["bash", str(ROOT / "scripts/serve.sh"), "--print-config"]
        + [f"app{i}:8501" for i in (1, 2, 3)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (DEPLOY / "haproxy.compose.cfg").read_text() == rendered
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    replicas = [name for name in compose["services"] if name.startswith("app")]
    assert replicas == ["app1", "app2", "app3"]
    for name in replicas:  # every replica mounts the one shared volume for checkpoints
        assert "checkpoints:/app/checkpoints" in compose["services"][name]["volumes"]
    assert "haproxy.compose.cfg" in compose["services"]["balancer"]["volumes"][0]


def test_the_kubernetes_manifests_parse_and_fit_together():
    docs = {d["kind"]: d for d in yaml.safe_load_all((DEPLOY / "k8s/latent-lab.yaml").read_text())}
    assert set(docs) == {"PersistentVolumeClaim", "Deployment", "Service", "Ingress"}
    deployment, service = docs["Deployment"], docs["Service"]
    app = deployment["spec"]["template"]["spec"]["containers"][0]
    assert app["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert deployment["spec"]["replicas"] >= 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    annotations = docs["Ingress"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    claim = docs["PersistentVolumeClaim"]["metadata"]["name"]
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["persistentVolumeClaim"]["claimName"] == claim
    assert docs["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteMany"]


# Two replicas are two processes: each stages a finished model and publishes it under the same
# name at the same moment (a file appearing is the starting gun).
_PUBLISH = """
import sys, time
from pathlib import Path
from core.training.jobs import publish_exclusive
folder, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
staged = folder / f".{name}.staged"
staged.write_bytes(name.encode() * 1000)
(folder.parent / f"{name}.ready").touch()
while not go.exists():
    time.sleep(0.001)
print(publish_exclusive(staged, folder, "ae_k2_1206-090000_abcdef"))
"""


def test_two_replicas_finishing_at_once_lose_neither_file(tmp_path):
    go = tmp_path / "go"
    folder = tmp_path / "shared"
    folder.mkdir()
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _PUBLISH, str(folder), name, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    try:
        deadline = time.monotonic() + 60  # both have imported torch and staged their file
        while not all((tmp_path / f"{n}.ready").exists() for n in ("first", "second")):
            assert time.monotonic() < deadline and all(r.poll() is None for r in runs)
            time.sleep(0.01)
        go.touch()
        published = [Path(run.communicate(timeout=60)[0].strip()) for run in runs]
    finally:
        for run in runs:
            run.kill()
    assert all(run.returncode == 0 for run in runs)
    assert len(set(published)) == 2
    assert sorted(p for p in folder.iterdir()) == sorted(published)
    contents = sorted(path.read_bytes()[:6] for path in published)
    assert contents == [b"firstf", b"second"]  # each file whole, neither replaced
