#!/usr/bin/env bash
# What can be checked of deploy/ on a machine without a Docker daemon or a cluster:
#  1. HAProxy's own config test (`haproxy -c`) on the template as scripts/serve.sh renders it
#     and as deploy/haproxy.compose.cfg (which must be that rendering, unedited);
#  2. compose.yaml and k8s/*.yaml parse as YAML;
#  3. deploy/Dockerfile's steps run as a script in a clean folder: the build context is
#     `git archive HEAD` less Dockerfile.dockerignore; the base image's Python is a fresh venv
#     that sees this machine's packages (so pip checks that the pins are met instead of
#     downloading torch again); steps that change the system (useradd, chown, USER) are
#     printed, not run; then the CMD starts with no network at all (`unshare -n`: loopback only)
#     and must answer the HEALTHCHECK and run the latent map without an exception (smoke.py).
# Usage: bash deploy/check.sh [--no-image]   (--no-image: steps 1 and 2 only)
set -euo pipefail
cd "$(dirname "$0")/.."
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
PYTHON=${PYTHON:-python}
work=$(mktemp -d "${TMPDIR:-/tmp}/latent-lab-check.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

echo "1. haproxy -c"
bash scripts/serve.sh --print-config app1:8501 app2:8501 app3:8501 >"$work/compose.cfg"
cmp -s "$work/compose.cfg" deploy/haproxy.compose.cfg \
    || { echo "deploy/haproxy.compose.cfg is not the template's rendering" >&2; exit 1; }
"$haproxy" -c -q -f deploy/haproxy.compose.cfg && echo "   deploy/haproxy.compose.cfg: valid"
text=$(<deploy/haproxy.cfg.template) # as serve.sh renders it: loopback replicas
text=${text//'${BIND}'/127.0.0.1:8501}
text=${text//'${SERVERS}'/    server replica1 127.0.0.1:8502 check cookie replica1}
printf '%s\n' "$text" >"$work/local.cfg"
"$haproxy" -c -q -f "$work/local.cfg" && echo "   scripts/serve.sh's rendering: valid"

echo "2. YAML"
"$PYTHON" - deploy/compose.yaml deploy/k8s/*.yaml <<'PY'
import sys, yaml
for path in sys.argv[1:]:
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    print(f"   {path}: {', '.join(d.get('kind', 'compose file') for d in docs)}")
PY

[ "${1:-}" = --no-image ] && exit 0
echo "3. deploy/Dockerfile as a script in $work/image"
mkdir -p "$work/context" "$work/image"
git archive HEAD | tar -x -C "$work/context"
while read -r pattern; do # the .dockerignore, for the patterns it uses (folders and globs)
    [[ -z $pattern || $pattern == \#* ]] && continue
    (cd "$work/context" && shopt -s globstar nullglob && rm -rf -- $pattern)
done <deploy/Dockerfile.dockerignore
"$PYTHON" -m venv --system-site-packages "$work/python"
"$PYTHON" - deploy/Dockerfile "$work" >"$work/build.sh" <<'PY'
"""Dockerfile -> bash: FROM is the venv, WORKDIR /x is image/x, COPY copies from the context,
a RUN that adds the image's user (and gives it the files) is printed, not run."""
import json, re, shlex, sys
dockerfile, work = sys.argv[1:]
text = re.sub(r"\\\n", " ", open(dockerfile).read())
print("set -euo pipefail")
print(f'export PATH="{work}/python/bin:$PATH"')
for line in text.splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    op, _, arg = line.partition(" ")
    if op == "FROM":
        print(f"echo {shlex.quote(f'   FROM {arg}: a venv of this machine Python instead')}")
    elif op == "ENV":  # an absolute path is one inside the image
        pairs = [kv.split("=", 1) for kv in shlex.split(arg)]
        pairs = [(k, f"{work}/image{v}" if v.startswith("/") else v) for k, v in pairs]
        print("export " + " ".join(shlex.quote(f"{k}={v}") for k, v in pairs))
    elif op == "WORKDIR":
        print(f'mkdir -p "{work}/image{arg}" && cd "{work}/image{arg}"')
    elif op == "COPY":
        *sources, target = shlex.split(arg)
        for source in sources:
            print(f'cp -a "{work}/context/{source}" {shlex.quote(target)}')
    elif op == "RUN" and arg.split()[0] == "useradd":
        print(f"echo {shlex.quote('   not run (changes the system): ' + arg[:60])}")
    elif op == "RUN":
        print(f"echo {shlex.quote('   RUN ' + arg[:90])}")
        print(arg)
    elif op == "HEALTHCHECK":
        print(f"HEALTHCHECK={shlex.quote(arg.split(' CMD ', 1)[1])}")
    elif op == "CMD":
        print(f"CMD={shlex.quote(shlex.join(json.loads(arg)))}")
    else:
        print(f"echo '   {op} {arg}: not run (image metadata)'")
print('echo "   CMD, with no network (unshare -n): $CMD"')
print(
    "unshare -n bash -c 'ip link set lo up; $0 >../app.log 2>&1 & app=$!;"
    " for _ in $(seq 300); do eval \"$1\" 2>/dev/null && break; sleep 0.5; done;"
    " eval \"$1\" && python deploy/smoke.py http://127.0.0.1:8501 latent_map model=ae_k2\\&sel=i7;"
    " ok=$?;"
    " kill $app; wait $app; exit $ok' \"$CMD\" \"$HEALTHCHECK\""
)
print('echo "   the CMD answered its HEALTHCHECK and ran the latent map with no network"')
PY
bash "$work/build.sh"
