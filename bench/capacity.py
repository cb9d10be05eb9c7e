"""How many students a server serves: CPU per click and per page open, memory per session, and
clicks per second with one and two replicas behind the balancer (scripts/serve.sh).

1. CPU per page open and per map click: one replica behind HAProxy and one Chromium session.
   The map is opened ``--opens`` times (each a new session: the whole page runs) and then
   clicked on ``--clicks`` digits, each waited for until its panel is drawn. The replica's CPU
   seconds are read from /proc/<pid>/stat (user + system, every thread) around each phase, less
   its idle rate measured before. The first open (imports, models, caches) is reported apart.
2. Memory per session: 1 to ``--sessions`` Chromium sessions (one context each) open the map on
   a fresh replica and stay open; the replica's resident memory (/proc/<pid>/status VmRSS) after
   each; the slope from the second session on is the memory per further session.
3. Students per core, from 1: a student clicking once every ``--think`` seconds costs
   (CPU per click / think) of a core, so one core serves think / (CPU per click) students.
4. Clicks per second with 1 and 2 replicas while server work is the bottleneck: no browser at
   all. ``--streams`` Python clients speak Streamlit's own WebSocket protocol through the
   balancer: each opens the map (the page-open message a browser sends) and then sends map
   clicks back to back, each the exact message Chromium sent for a real click in part 1 with
   another digit's index, point and code; it waits for the run's ``script_finished``, fetches
   the run's images with the session's cookie (as the panel's <img> tags do) and clicks again.
   A client does nothing per click but send a few hundred bytes, parse the replies and fetch a
   few PNGs (its own CPU per click is reported), so the replicas' CPU is what limits the rate,
   as long as they get the machine's cores: the load average and the cores the replicas used
   are reported beside the rate.

On a shared 2-core machine every number moves with the other work on it; the session counts are
kept small (10 by default, not 20) so that the browsers' own memory and CPU stay modest.
Prints a table and writes bench/results/capacity.json. ``python bench/capacity.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from bench import report
from harness import browser as harness
from harness import protocol

ROOT = Path(__file__).resolve().parents[1]

KEY = "map_explorer"
MAP_PATH = "latent_map?model=ae_k2"
SHIPPED = ("ae_k2.pt", "classifier.pt")  # what the map page needs, in a folder of the bench's own
TICK = os.sysconf("SC_CLK_TCK")

# The panel shows a digit other than ``before`` and the run has finished.
_PANEL_JS = """(before) => {
    const h = [...document.querySelectorAll('h3')].find(e => /^Digit #/.test(e.innerText));
    const app = document.querySelector('[data-testid="stApp"]');
    return !!h && h.innerText !== before
        && app.getAttribute('data-test-script-state') === 'notRunning';
}"""
_HEADING_JS = """() => ([...document.querySelectorAll('h3')]
    .find(e => /^Digit #/.test(e.innerText)) || {innerText: ''}).innerText"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU of every thread of the process so far (/proc/<pid>/stat fields 14, 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def idle_rate(pid: int, seconds: float = 5.0) -> float:
    """CPU seconds per second the replica spends with nobody clicking (timers, health checks)."""
    start = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - start) / seconds


class Meter:
    """A replica's CPU over a phase, less its idle rate."""

    def __init__(self, pid: int, idle: float) -> None:
        self.pid, self.idle = pid, idle

    def __enter__(self) -> Meter:
        self.cpu, self.wall = cpu_seconds(self.pid), time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.monotonic() - self.wall
        self.cpu = cpu_seconds(self.pid) - self.cpu - self.idle * self.wall


def shared_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="capacity-checkpoints-"))
    for name in SHIPPED:
        shutil.copy2(ROOT / "checkpoints" / name, folder / name)
    return folder


def cluster(replicas: int, folder: Path):
    return harness.replicas_behind_balancer(replicas, env={"LATENT_LAB_CHECKPOINTS": str(folder)})


def open_map(page, url: str) -> None:
    page.goto(f"{url}/{MAP_PATH}", wait_until="commit")
    harness.wait_explorer(page, KEY)
    harness.wait_idle(page)


def cpu_per_open_and_click(folder: Path, opens: int, clicks: int) -> dict:
    """Part 1; also returns the page-open and click messages Chromium sent, for part 4, and the
    map's points (index -> point, which is the code on ae_k2's raw 2-D map)."""
    with cluster(1, folder) as running, harness.chromium() as browser:
        pid = running.replicas[0].pid
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        harness.ask_for_probes(context)
        page = context.new_page()
        sent: list = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
        with Meter(pid, 0.0) as first:
            open_map(page, running.url)
        idle = idle_rate(pid)
        with Meter(pid, idle) as opened:
            for _ in range(opens):
                open_map(page, running.url)
        open_message = sent[-1] if isinstance(sent[-1], bytes) else None
        points = page.evaluate(
            f"() => {{ const e = {harness.explorer_probe(KEY)}.explorer;"
            " return Array.from({length: e.n}, (_, i) => e.pointXY(i)); }"
        )
        targets = harness.explorer_isolated(page, KEY, clicks)
        before_click = len(sent)
        with Meter(pid, idle) as clicked:
            for index in targets:
                heading = page.evaluate(_HEADING_JS)
                page.mouse.click(*harness.explorer_point_pixel(page, KEY, index))
                page.wait_for_function(_PANEL_JS, arg=heading, timeout=60_000)
        click_message = next(m for m in sent[before_click:] if b"map_explorer__events" in m)
        context.close()
    return {
        "first_open": {"cpu_s": first.cpu, "wall_s": first.wall},
        "idle_cpu_s_per_s": idle,
        "opens": opens,
        "cpu_s_per_open": opened.cpu / opens,
        "wall_s_per_open": opened.wall / opens,
        "clicks": len(targets),
        "cpu_s_per_click": clicked.cpu / len(targets),
        "wall_s_per_click": clicked.wall / len(targets),
        "_open_message": open_message,
        "_click_message": click_message,
        "_points": points,
    }


def memory_per_session(folder: Path, sessions: int) -> dict:
    """Part 2: RSS of a fresh replica with 0, 1, ..., ``sessions`` map sessions open."""
    rss = []
    with cluster(1, folder) as running, harness.chromium() as browser:
        pid = running.replicas[0].pid
        rss.append(rss_mb(pid))
        contexts = []
        for _ in range(sessions):
            contexts.append(browser.new_context(viewport={"width": 1400, "height": 1000}))
            harness.ask_for_probes(contexts[-1])
            open_map(contexts[-1].new_page(), running.url)
            time.sleep(1.0)
            rss.append(rss_mb(pid))
        for context in contexts:
            context.close()
    counts = np.arange(2, sessions + 1)
    slope = float(np.polyfit(counts, rss[2:], 1)[0]) if sessions >= 3 else None
    return {"sessions": list(range(sessions + 1)), "rss_mb": rss, "mb_per_further_session": slope}


# --- part 4: clients that speak Streamlit's protocol, no browser ---------------------------------


def _click(template: bytes, index: int, point: list[float]) -> bytes:
    """Chromium's click message with another digit: its index, point and code (equal on a raw
    2-D map), and no cached-message hashes (this client caches nothing)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    message.ParseFromString(template)
    message.rerun_script.ClearField("cached_message_hashes")
    for widget in message.rerun_script.widget_states.widgets:
        if widget.id.endswith("map_explorer__events"):
            value = {"index": index, "point": point, "code": point}
            widget.json_trigger_value = json.dumps([{"event": "click", "value": value}])
    return message.SerializeToString()


def _get(url: str, cookie: str) -> str:
    """GET through the balancer with the session's cookie; returns the cookie it (re)sets."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        sticky = response.headers.get("Set-Cookie", "").split(";")[0]
    return sticky or cookie


async def _stream(url: str, opening: bytes, clicks: list[bytes], until: float, done: list) -> None:
    """One session as a browser drives it: the page (the balancer sets its replica's cookie),
    the map's run over the WebSocket, then clicks back to back until ``until``; after each run
    its images are fetched, as the panel's <img> tags do."""
    import websockets

    cookie = await asyncio.to_thread(_get, f"{url}/latent_map", "")
    headers = {"Cookie": cookie}
    async with websockets.connect(
        protocol.stream_url(url),
        subprotocols=["streamlit"],
        max_size=None,
        additional_headers=headers,
    ) as ws:
        await ws.send(opening)
        await protocol.run_elements(ws)
        while time.monotonic() < until:
            await ws.send(clicks[len(done) % len(clicks)])
            drawn = await protocol.run_elements(ws)
            images = [i.url for e in drawn if e.WhichOneof("type") == "imgs" for i in e.imgs.imgs]
            await asyncio.gather(*(asyncio.to_thread(_get, url + u, cookie) for u in images))
            done.append(time.monotonic())


def clicks_per_second(
    folder: Path,
    replicas: int,
    streams: int,
    seconds: float,
    opening: bytes,
    warm: list[bytes],
    clicks: list[bytes],
) -> dict:
    """Part 4 for one number of replicas: ``streams`` sessions open the map and click ``warm``
    for a few seconds (every replica has loaded its models), then click for ``seconds``, each
    click a digit no session has clicked before (no result cached)."""
    with cluster(replicas, folder) as running:
        pids = [r.pid for r in running.replicas]

        async def run() -> tuple[list[float], float, float, float]:
            warm_until = time.monotonic() + 5.0
            await asyncio.gather(
                *(_stream(running.url, opening, warm, warm_until, []) for _ in range(streams))
            )
            done: list[float] = []
            server, client = sum(cpu_seconds(p) for p in pids), time.process_time()
            start = time.monotonic()
            until = start + seconds
            await asyncio.gather(
                *(_stream(running.url, opening, clicks, until, done) for _ in range(streams))
            )
            wall = time.monotonic() - start
            server = sum(cpu_seconds(p) for p in pids) - server
            return done, wall, server, time.process_time() - client

        done, wall, server, client = asyncio.run(run())
    return {
        "replicas": replicas,
        "streams": streams,
        "clicks": len(done),
        "seconds": wall,
        "clicks_per_s": len(done) / wall,
        "server_cores_used": server / wall,  # below the cores there are: others had the rest
        "load_average_1min_after": os.getloadavg()[0],
        "server_cpu_s_per_click": server / max(1, len(done)),
        "client_cpu_s_per_click": client / max(1, len(done)),
    }


def table_rows(cpu: dict, memory: dict, throughput: list, args, per_core: float) -> list:
    """The printed table: CPU per open and click, memory per session, clicks per second."""
    slope = memory["mb_per_further_session"]
    rows = [
        ["first map open (CPU s, cold replica)", cpu["first_open"]["cpu_s"]],
        ["CPU s per map open (warm)", cpu["cpu_s_per_open"]],
        ["CPU s per map click", cpu["cpu_s_per_click"]],
        ["idle CPU s per s", cpu["idle_cpu_s_per_s"]],
        ["RSS MB, no session", memory["rss_mb"][0]],
        ["RSS MB, 1 session", memory["rss_mb"][1]],
        [f"RSS MB, {args.sessions} sessions", memory["rss_mb"][-1]],
        ["MB per further session", slope],
        [f"students per core (a click every {args.think:g} s)", per_core],
    ]
    for row in throughput:
        rows += [
            [
                f"clicks/s, {row['replicas']} replica(s), {row['streams']} sessions",
                row["clicks_per_s"],
            ],
            ["  server CPU s per click", row["server_cpu_s_per_click"]],
            ["  client CPU s per click", row["client_cpu_s_per_click"]],
            ["  cores the replicas used", row["server_cores_used"]],
            ["  load average (1 min) after", row["load_average_1min_after"]],
        ]
    return rows


def main() -> None:
    parser = report.parser(__doc__, "capacity")
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument(
        "--think", type=float, default=5.0, help="seconds between a student's clicks"
    )
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()

    load_at_start = os.getloadavg()[0]
    folder = shared_folder()
    try:
        cpu = cpu_per_open_and_click(folder, args.opens, args.clicks)
        memory = memory_per_session(folder, args.sessions)
        rng = random.Random(0)
        indices = rng.sample(range(len(cpu["_points"])), len(cpu["_points"]))
        clicks = [_click(cpu["_click_message"], i, cpu["_points"][i]) for i in indices]
        warm, clicks = clicks[:50], clicks[50:]
        opening = cpu["_open_message"]
        throughput = [
            clicks_per_second(folder, n, args.streams, args.seconds, opening, warm, clicks)
            for n in (1, 2)
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    per_core = args.think / cpu["cpu_s_per_click"]
    result = {
        "machine": f"{os.cpu_count()} cores, shared with other work",
        "load_average_1min_at_start": load_at_start,
        "date": time.strftime("%Y-%m-%d"),
        "page": MAP_PATH,
        "cpu": {k: v for k, v in cpu.items() if not k.startswith("_")},
        "memory": memory,
        "students_per_core": {"think_s": args.think, "students": per_core},
        "throughput": throughput,
    }
    report.table(["what", "value"], table_rows(cpu, memory, throughput, args, per_core))
    report.write(args.out, result)


if __name__ == "__main__":
    main()
