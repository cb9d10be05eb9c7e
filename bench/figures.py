"""The README's Benchmarks section, written from the committed results only.

Each function takes ``result(name)`` (bench/results/<name>.json as a dict, or None when the
file is missing) and ``when(result)`` (the run's date, commit, cores and precision) and returns
a paragraph of Markdown, or "" when its results file is missing. ``bench/report.py --readme``
puts them, in ``SECTIONS`` order, between the README's two marker comments. A figure that no
results file holds is not written here, so it does not reach the README.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

Result = Callable[[str], dict[str, Any] | None]
When = Callable[[dict[str, Any]], str]

COMMANDS = """Each script prints a table and writes JSON to `bench/results/` with the commit, the
machine (CPU, cores, bf16 or not) and the date of its run; the committed files are the last
measured run, and `python -m bench.report --readme` writes this section from them:

```bash
python -m bench.quality       # shipped models vs PCA, the MLP VAE baseline; GAN classes and FID
python -m bench.quality --dataset fashion-mnist   # the Fashion models on its test file
python -m bench.fullmap       # 60,000 Fashion codes: encode, PCA, t-SNE, UMAP
python -m bench.gan_recipes   # GAN recipe ideas side by side at a few epochs (docs/recipes.md)
python -m bench.projection    # openTSNE vs scikit-learn t-SNE; encode + cached map load time
python -m bench.compare       # the PCA vs AE table of the page, from the CLI
python -m bench.uses          # the CVAE's styles, attribute directions, few-label curves
python -m bench.app_latency   # real Chromium: every page's first open, click to decoded digit
python -m bench.app_latency --baseline REF   # every page's first open, this tree beside REF's
python -m bench.map_page      # the map page beside a bare scatter and the Plotly page it replaced
python -m bench.explorer      # real Chromium: pointer move -> decoded digit drawn; twin maps too
python -m bench.playback      # real Chromium: How it learned, frames while playing and scrubbing
python -m bench.renderer      # canvas vs regl-scatterplot: 5,000 and 60,000 points moving, hover
python -m bench.load          # 10 browsers at once on a fresh server vs a bare page; 5 cold opens
python -m bench.capacity      # server CPU per click and open, memory per session, 1 vs 2 replicas
python -m bench.multimodal    # sentences and digits in one space: text to image, image to text
```"""


def commands(result: Result, when: When) -> str:
    return COMMANDS


def _pct(fractions: list[float]) -> str:
    return f"{100 * min(fractions):.1f}-{100 * max(fractions):.1f} %"


def _gan(gan: dict[str, Any]) -> str:
    return (
        f"FID {gan['fid']:.1f} against a real-data floor of {gan['floor']:.1f}, "
        f"**{gan['fid'] / gan['floor']:.2f}x** (target at most 3x); every class "
        f"{_pct(gan['class_fractions'])} of the samples (target 5-15 %); mean top-class "
        f"probability **{gan['mean_top_probability']:.3f}** (target 0.95)"
    )


def quality(result: Result, when: When) -> str:
    q = result("quality")
    if q is None:
        return ""
    ae = "; ".join(
        f"k={k}: {r['ratio']:.3f}x (target {r['target']}x)" for k, r in q["ae_vs_pca"].items()
    )
    vae = q["vae"]
    text = (
        f"The shipped models on the embedded validation split (`bench/quality.py`, {when(q)}). "
        f"AE reconstruction MSE against PCA's of the same k: {ae}. The VAE (k=16)'s -ELBO is "
        f"{vae['ratio']:.3f}x that of the pytorch/examples MLP VAE trained here for the same "
        f"{vae['epochs']} epochs ({vae['conv_vae_k16']:.1f} against {vae['mlp_vae_k20']:.1f} "
        f"nats; target {vae['target']}x).\n\n"
        f"The shipped GAN (`gan_k32`; the shipped classifier's features, "
        f"{q['gan'].get('samples_per_fid', 1000):,} samples as the GAN studio draws them, mean of "
        f"seeds 0-2). G alone: {_gan(q['gan'])}."
    )
    filtered = q.get("gan_d_filtered")
    if filtered is not None:
        text += (
            f' With the GAN studio\'s **"Let D pick the best half"** (of 2N draws of z, the N '
            f"that D scores most real, a simple form of discriminator rejection sampling, "
            f"Azadi et al., ICLR 2019): {_gan(filtered)}."
        )
    verdict = "every target met" if q.get("all_pass") else "not every target met"
    return text + f" In all: {verdict} (`all_pass` in bench/results/quality.json)."


def fashion(result: Result, when: When) -> str:
    q = result("quality_fashion-mnist")
    if q is None:
        return ""
    ae, vae, gan = q["ae_k2"], q["vae_k16"], q["gan"]
    return (
        f"The Fashion-MNIST models on its {q['test_images']:,} test images "
        f"(`bench/quality.py --dataset fashion-mnist`, {when(q)}): fashion_ae_k2's MSE is "
        f"**{ae['ratio']:.3f}x** PCA(2)'s ({ae['mse']:.4f} against {ae['pca_mse']:.4f}; target "
        f"{ae['target']}x), fashion_vae_k16's **{vae['ratio']:.3f}x** PCA(16)'s "
        f"({vae['mse']:.4f} against {vae['pca_mse']:.4f}; target {vae['target']}x); "
        f"fashion_gan_k32 draws every class as {_pct(gan['class_fractions'])} of its samples "
        f"(target 5-15 %), but its classifier-feature FID is {gan['fid']:.1f} against a "
        f"real-data floor of {gan['floor']:.1f} ({gan['fid_over_floor']:.0f}x; target at most "
        f"3x, **not met**), mean top-class probability {gan['mean_top_probability']:.2f}. "
        f"The target asks more than any model here gives: fashion_vae_k16's own "
        f"reconstructions of real training items score "
        f"{q['vae_reconstructions_fid_over_floor']:.0f}x the floor (docs/recipes.md)."
    )


def fullmap(result: Result, when: When) -> str:
    f = result("fullmap")
    if f is None:
        return ""
    rows = {name: (seconds, knn) for name, seconds, knn in f["rows"]}
    shipped = f["tsne"]["shipped"]
    text = (
        f"Maps of all {f['n']:,} Fashion-MNIST codes (`bench/fullmap.py`, fashion_vae_k16, "
        f"{when(f)}): encoding {f['encode_s']:.1f} s and PCA {f['pca_s']:.2f} s; openTSNE "
        f"{shipped['seconds']:.0f} s (exact kNN, FFT gradients), 10-NN accuracy on the map "
        f"{shipped['knn10']:.3f} (on the {f['k']}-D codes themselves {f['latent_knn10']:.3f})"
    )
    place = rows.get("t-SNE place 100 new codes (first)")
    if place is not None:
        text += f", placing 100 new codes {place[0]:.2f} s"
    umap = f.get("umap")
    if umap is not None:
        text += (
            f". **UMAP is left out:** umap-learn took {umap['seconds']:.0f} s but its map's "
            f"10-NN accuracy is {umap['knn10']:.3f}, its `transform` of 100 new codes takes "
            f"{umap['transform_s']:.1f} s, and it brings numba and llvmlite"
        )
    return text + "."


def load(result: Result, when: When) -> str:
    run = result("load")
    if run is None:
        return ""
    app, bare = run["app"], run["bare_page"]
    cold = run.get("cold_opens", [])
    text = (
        f"A class at once (`bench/load.py`, {when(run)}, {run['sessions']} Chromium sessions "
        f"and the server on one machine, {run['clicks_per_session']} clicks each)"
    )
    if cold:
        maps = sum(c["maps"] for c in cold)
        exceptions = sum(len(c["exceptions"]) for c in cold)
        slowest = [c["open_max_s"] for c in cold]
        text += (
            f": {len(cold)} x {run['sessions']} cold opens of the latent map on fresh servers, "
            f"**{exceptions} exceptions, {maps}/{len(cold) * run['sessions']} maps**, the "
            f"slowest open {min(slowest):.1f}-{max(slowest):.1f} s"
        )
    verdict = "met" if run["p95_ratio"] <= run["p95_ratio_target"] else "**not met**"
    return text + (
        f". Click to panel with every image loaded: p50 **{app['click_ms']['p50']:,.0f} ms**, "
        f"p95 **{app['click_ms']['p95']:,.0f} ms**, against {bare['click_ms']['p50']:,.0f} / "
        f"{bare['click_ms']['p95']:,.0f} ms for a bare Streamlit page with the same points in the "
        f"same run ({run['p95_ratio']:.1f}x at p95; target {run['p95_ratio_target']}x, {verdict})."
    )


def app_latency(result: Result, when: When) -> str:
    run = result("app_latency")
    if run is None or "pages" not in run:
        return ""
    pages = run["pages"]
    home = pages.get("Home")
    opens = ", ".join(f"{name} {p['first_open_s']:.1f} s" for name, p in pages.items())
    text = (
        f"Every page's first open on a fresh server, in Chromium as a person sees it (images "
        f"loaded; `bench/app_latency.py`, {when(run)}): {opens}."
    )
    if home is not None:
        worst = max(pages.items(), key=lambda item: item[1]["first_open_s"])
        ratio = worst[1]["first_open_s"] / home["first_open_s"]
        verdict = "met" if ratio <= 2 else "**not met**"
        text += f" The slowest, {worst[0]}, is {ratio:.1f}x the Home page's (target 2x, {verdict})."
    without = run.get("without") or {}
    if without.get("first_open_s"):
        opens = ", ".join(f"{n} {s:.1f} s" for n, s in without["first_open_s"].items())
        text += (
            f" In the same run, with {', '.join(without['files'])} moved aside (as before they "
            f"shipped): {opens}."
        )
    return text


def before_after(result: Result, when: When) -> str:
    run = result("app_latency_before_after")
    if run is None or "first_open_s" not in run:
        return ""
    opens = run["first_open_s"]
    ratios = {title: t["ours"] / t["baseline"] for title, t in opens.items()}
    worst = max(ratios, key=ratios.__getitem__)
    pairs = ", ".join(
        f"{title} {t['baseline']:.1f} -> {t['ours']:.1f} s" for title, t in opens.items()
    )
    return (
        f"Before and after this round's restructuring, in one run (`bench/app_latency.py "
        f"--baseline {run['baseline']}`, each page of both trees on a fresh server, {when(run)}): "
        f"{pairs}. Median ratio {statistics.median(ratios.values()):.2f}, the largest "
        f"{ratios[worst]:.2f} ({worst}).{_against_home(opens)}"
    )


def _against_home(opens: dict[str, dict[str, float]]) -> str:
    """The slowest page of this tree against its Home page, in the same run (target 2x)."""
    if "Home" not in opens:
        return ""
    home = opens["Home"]["ours"]
    slowest = max(opens, key=lambda title: opens[title]["ours"])
    ratio = opens[slowest]["ours"] / home
    return (
        f" The slowest page of this tree, {slowest}, opens in {ratio:.2f}x its Home page's "
        f"(target 2x, {'met' if ratio <= 2 else '**not met**'})."
    )


def explorer(result: Result, when: When) -> str:
    run = result("explorer")
    if run is None or "twins" not in run:
        return ""
    targets = run["targets"]
    pairs = "; ".join(
        f"{name}: pointer to both pictures p50 {t['event_to_pixels_ms']['p50']:.1f} ms, "
        f"p95 **{t['event_to_pixels_ms']['p95']:.0f} ms**, decode + encode + draw p50 "
        f"{t['decode_draw_ms']['p50']:.1f} ms, p95 **{t['decode_draw_ms']['p95']:.0f} ms**, "
        f"{t['frames_sent']} server frames while hovering"
        for name, t in run["twins"].items()
    )
    single = run["maps"].get("ae_k2 raw")
    text = (
        f"Twin maps (`bench/explorer.py`, {when(run)}, {next(iter(run['twins'].values()))['moves']}"
        f" pointer moves): {pairs} (targets p95 {targets['twin_event_to_pixels_p95_ms']:.0f} and "
        f"{targets['twin_run_p95_ms']:.0f} ms)"
    )
    if single is not None:
        text += (
            f"; the single ae_k2 map in the same run: p50 "
            f"{single['event_to_pixels_ms']['p50']:.1f} ms, p95 "
            f"{single['event_to_pixels_ms']['p95']:.0f} ms"
        )
    return text + "."


def playback(result: Result, when: When) -> str:
    run = result("playback")
    if run is None:
        return ""
    rows = "; ".join(
        f"{m['points']:,} points {action}: frame interval p50 "
        f"{m[action]['interval_ms']['p50']:.1f} ms, p95 {m[action]['interval_ms']['p95']:.1f} ms"
        f" (drawing p95 {m[action]['draw_ms']['p95']:.1f} ms)"
        for m in run["maps"].values()
        for action in ("playing", "scrubbing")
    )
    sent = sum(m["frames_sent"] for m in run["maps"].values())
    sizes = run["sizes"]
    shipped = {name: mb for name, mb in sizes["history_mb"].items() if mb is not None}
    largest = max(shipped, key=shipped.__getitem__)
    return (
        f"How it learned (`bench/playback.py`, {when(run)}): {rows}; {sent} server frames while "
        f"playing or scrubbing. {len(shipped)} shipped histories, {sum(shipped.values()):.1f} MB "
        f"in all, the largest {largest}'s {shipped[largest]:.2f} MB (target 1.5 MB each); "
        f"keyframe decoders {sizes['keyframe_onnx_mb_total']:.1f} MB as ONNX (target 12 MB)."
    )


def capacity(result: Result, when: When) -> str:
    run = result("capacity")
    if run is None:
        return ""
    cpu, memory, students = run["cpu"], run["memory"], run["students_per_core"]
    rss = memory["rss_mb"]
    rows = run["throughput"]
    replicas = " / ".join(str(row["replicas"]) for row in rows)
    per_s = " / ".join(f"{row['clicks_per_s']:.1f}" for row in rows)
    cores = " / ".join(f"{row['server_cores_used']:.2f}" for row in rows)
    return (
        f"Capacity (`bench/capacity.py`, {when(run)}, one replica behind HAProxy, the map of "
        f"ae_k2): server CPU **{cpu['cpu_s_per_click']:.3f} s per map click** and "
        f"{cpu['cpu_s_per_open']:.3f} s per warm map open ({cpu['first_open']['cpu_s']:.1f} s "
        f"for the first, cold one); replica memory {rss[0]:.0f} MB idle, {rss[1]:.0f} MB with "
        f"one session, {rss[-1]:.0f} MB with {len(rss) - 1} "
        f"(**{memory['mb_per_further_session']:.1f} MB per further session**); so one core "
        f"serves **~{students['students']:.0f} students** clicking every {students['think_s']:g} "
        f"s. Clicks/s with {replicas} replicas ({rows[0]['streams']} protocol clients, no "
        f"browser): **{per_s}**, the replicas using {cores} cores of the {run['run']['cores']} "
        "that they share with the clients and the balancer."
    )


def renderer(result: Result, when: When) -> str:
    run = result("renderer")
    if run is None:
        return ""
    by_renderer = run.get("by_renderer", {"canvas": run["sizes"]})  # older runs: the canvas only
    names = run.get("renderers", {"canvas": run["renderer"]})

    def rows(sizes: dict[str, Any]) -> str:
        return "; ".join(
            f"{s['points']:,} points: frame p50 / p95 {s['frame_ms']['p50']:.1f} / "
            f"{s['frame_ms']['p95']:.1f} ms, drawing {s['draw_ms']['p50']:.1f} / "
            f"{s['draw_ms']['p95']:.1f} ms, hover p95 {s['hover_ms']['p95']:.1f} ms"
            for s in sizes.values()
        )

    width, height = run["map_css_px"]
    found = ". ".join(f"With {names[name]}: {rows(sizes)}" for name, sizes in by_renderer.items())
    text = (
        f"The map's renderer (`bench/renderer.py`, {when(run)}, a map of {width} x {height} css "
        "px, every point moving in a 1 s transition between two layouts; frame times are whole "
        f"60 Hz refreshes, 16.7 ms = none dropped). {found}."
    )
    if "regl" in by_renderer:
        text += (
            " Chromium runs with `--disable-gpu` here, so WebGL runs on SwiftShader, a CPU "
            "emulation of a GPU: regl-scatterplot's figures are its worst case, not a GPU's."
        )
    return text


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def multimodal(result: Result, when: When) -> str:
    run = result("multimodal")
    if run is None:
        return ""
    drawn, mean = run["text_to_image"]["sample"], run["text_to_image"]["mean"]
    thirds = ", ".join(f"{a} {100 * v:.1f} %" for a, v in drawn["third_match"].items())
    read = run["image_to_text"]
    recon, first = run["reconstruction"], run["first_open"]
    ordered = sum(drawn["ordered_digits"].values())
    pairs = 10 * len(drawn["ordered_digits"])  # every digit, every attribute
    thirds_met = _met(min(drawn["third_match"].values()) >= 0.70 and ordered == pairs)
    prior = run.get("prior_confident")
    prior_text = (
        " Not a target: the classifier reads "
        f"{100 * prior[run['model']]:.1f} % of 1,000 prior draws with confidence > 0.9 "
        f"(vae_k16 {100 * prior['vae_k16']:.1f} %)."
        if prior
        else ""
    )
    return (
        f"Multimodal VAE (`bench/multimodal.py`, {when(run)}, {run['model']}, validation split). "
        "Text to image: the classifier reads the intended digit on "
        f"**{100 * drawn['digit_rate']:.1f} %** of {run['text_to_image']['sentences']:,} images "
        "drawn from sentences (target 95 %, "
        f"{_met(drawn['digit_rate'] >= 0.95)}; {100 * mean['digit_rate']:.1f} % from the "
        f"posterior mean); the drawn attribute's third matches the word: {thirds}, and the "
        f"attribute is ordered as the words for {ordered} / {pairs} digit-attribute pairs (target "
        f"70 % and {pairs}, {thirds_met}). "
        f"Image to text: digit word right on **{100 * read['digit']:.1f} %**, attribute words "
        f"{100 * read['thickness']:.1f} / {100 * read['slant']:.1f} / {100 * read['width']:.1f} % "
        f"(thickness / slant / width; targets 95 and 70 %, {_met(read['met'])}). Reconstruction "
        f"MSE {recon['ratio']:.2f}x the plain vae_k16's (target 1.2x, {_met(recon['met'])}); "
        f"first open {first['ratio']:.2f}x the Home page's (target 2x, {_met(first['met'])})."
        + prior_text
    )


SECTIONS: list[Callable[[Result, When], str]] = [
    commands,
    quality,
    load,
    capacity,
    app_latency,
    before_after,
    explorer,
    renderer,
    playback,
    multimodal,
    fullmap,
    fashion,
]
