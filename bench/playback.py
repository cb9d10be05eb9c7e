"""Training playback in headless Chromium: frame times while playing and scrubbing, server frames.

``python -m bench.playback``: the playback element (ui/components/playback/) on the shipped
vae_k2 history, its 500 points repeated with jitter to 5,000 and 60,000 (tests/apps/
playback_demo.py). For each: the interval between animation frames and the time drawing one
takes (the map's points moved between two epochs, the samples, the loss cursor) while the
epochs play, and while the scrubber is dragged; websocket frames the page sent meanwhile. Then
the size of every shipped history and of the keyframe decoders.
"""

from __future__ import annotations

import re

import numpy as np

from bench import report
from core.training.history import history_path, keyframes_path
from harness import browser as harness
from harness.browser import ROOT

SIZES = (5_000, 60_000)
TARGETS = {
    "5000": {"median_interval_ms": 16.7, "p95_interval_ms": 33},
    "60000": {"median_interval_ms": 33},
    "frames_sent": 0,
    "history_mb_per_model": 1.5,
    "keyframes_mb_total": 12,
}
PROBE = "window.latentPlayback && window.latentPlayback.demo"


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def stats(page, since: int) -> dict:
    intervals, draws = page.evaluate(f"() => [{PROBE}.intervals, {PROBE}.draws]")
    intervals, draws = intervals[since:], draws[since:]
    return {
        "frames": len(intervals),
        "interval_ms": {"p50": pct(intervals, 50), "p95": pct(intervals, 95)},
        "draw_ms": {"p50": pct(draws, 50), "p95": pct(draws, 95)},
    }


def measure(page, url: str, n: int) -> dict:
    harness.goto(page, url, f"?n={n}")
    page.wait_for_function(f"() => {PROBE} && {PROBE}.status === 'ready'", timeout=120_000)
    page.wait_for_timeout(500)
    frames: list = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda m: frames.append(m)))
    count = lambda: page.evaluate(f"() => {PROBE}.intervals.length")  # noqa: E731
    start = count()
    page.locator(".pb-play").click()  # from epoch 1: every frame is a transition
    page.wait_for_timeout(4000)
    page.locator(".pb-play").click()
    entry = {"points": n, "playing": stats(page, start)}
    start = count()
    box = page.locator(".pb-scrub").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 4, y)
    page.mouse.down()
    for step in range(60):  # a drag across the scrubber, one move per ~33 ms
        page.mouse.move(box["x"] + 4 + (box["width"] - 8) * step / 59, y)
        page.wait_for_timeout(33)
    page.mouse.up()
    page.wait_for_timeout(400)
    entry["scrubbing"] = stats(page, start)
    entry["frames_sent"] = len(frames)
    return entry


def sizes() -> dict:
    shipped = sorted((ROOT / "checkpoints").glob("*.pt"))
    histories = {
        p.stem: round(history_path(p).stat().st_size / 1e6, 3) if history_path(p).exists() else None
        for p in shipped
    }
    kept = {p.stem: keyframes_path(p) for p in shipped if keyframes_path(p).exists()}
    onnx = {  # NAME_e<epoch>_<hash>.onnx: not NAME_encoder_<hash>.onnx (the twin maps')
        stem: sorted(
            f.name
            for f in (ROOT / "static" / "onnx").glob(f"{stem}_e*_*.onnx")
            if re.fullmatch(rf"{re.escape(stem)}_e\d+_[0-9a-f]+\.onnx", f.name)
        )
        for stem in kept
    }
    onnx_mb = sum(
        (ROOT / "static" / "onnx" / f).stat().st_size for files in onnx.values() for f in files
    )
    return {
        "history_mb": histories,
        "keyframe_weights_mb": {s: round(p.stat().st_size / 1e6, 3) for s, p in kept.items()},
        "keyframe_onnx": onnx,
        "keyframe_onnx_mb_total": round(onnx_mb / 1e6, 3),
    }


def main() -> None:
    args = report.parser(__doc__, "playback").parse_args()
    demo = ROOT / "tests" / "apps" / "playback_demo.py"
    result: dict = {"targets": TARGETS, "maps": {}}
    with harness.chromium() as browser, harness.streamlit_server(script=demo) as (url, _):
        for n in SIZES:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            result["maps"][str(n)] = measure(page, url, n)
            page.close()
    result["sizes"] = sizes()
    print(f"{'points':>7} {'while':10} {'frames':>6} {'interval p50/p95':>18} {'draw p50/p95':>16}")
    for n, e in result["maps"].items():
        for what in ("playing", "scrubbing"):
            s = e[what]
            i, d = s["interval_ms"], s["draw_ms"]
            print(
                f"{n:>7} {what:10} {s['frames']:6} {i['p50']:7.1f} / {i['p95']:5.1f} ms"
                f" {d['p50']:6.2f} / {d['p95']:5.2f} ms"
            )
        print(f"{n:>7} websocket frames sent while playing and scrubbing: {e['frames_sent']}")
    z = result["sizes"]
    for stem, mb in z["history_mb"].items():
        print(f"history {stem:20} {'none' if mb is None else f'{mb:.3f} MB'}")
    print(f"keyframe decoders (ONNX, float16 weights): {z['keyframe_onnx_mb_total']:.2f} MB in all")
    report.write(args.out, result)


if __name__ == "__main__":
    main()
