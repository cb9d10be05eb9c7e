"""ui/explorer.py, the Python half of the live explorer: what it hands the browser."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.data.datasets import load_dataset
from core.latent.caches import cached_projection
from core.training.checkpoints import load_model
from ui import explorer

from .conftest import ROOT


def test_the_sprite_atlas_puts_digit_i_at_column_i_mod_c_row_i_div_c():
    images = np.random.default_rng(0).integers(0, 256, size=(11, 28, 28), dtype=np.uint8)
    cols = explorer.sprite_columns(11)
    atlas = np.array(Image.open(io.BytesIO(explorer.sprite_atlas(images))))
    assert cols == 4 and atlas.shape == (3 * 28, 4 * 28)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        np.testing.assert_array_equal(atlas[r * 28 : r * 28 + 28, c * 28 : c * 28 + 28], image)


def test_published_arrays_are_content_addressed_little_endian_files():
    values = np.arange(6, dtype=np.float32).reshape(3, 2) / 7
    url = explorer.publish_array(values, "float32")
    assert url.startswith("/app/static/cache/") and url.endswith(".bin")
    assert explorer.publish_array(values.copy(), "float32") == url  # same bytes, same file
    assert explorer.publish_array(values + 1, "float32") != url
    path = explorer.STATIC_DIR / url.removeprefix("/app/static/")
    np.testing.assert_array_equal(np.frombuffer(path.read_bytes(), dtype="<f4"), values.ravel())


def test_a_cut_off_published_array_is_written_again():
    data = np.arange(1000, dtype="<f4")
    url = explorer.publish_array(data, "float32")
    path = explorer.STATIC_DIR / url.removeprefix("/app/static/")
    whole = path.read_bytes()
    path.write_bytes(whole[:100])  # a copy or a disk that stopped early
    assert explorer.publish_array(data, "float32") == url
    assert path.read_bytes() == whole


@pytest.mark.parametrize("method", ["raw", "pca", "tsne"])
def test_the_inverse_rule_is_the_projections_own(method):
    checkpoint = ROOT / "checkpoints" / ("ae_k2.pt" if method == "raw" else "vae_k16.pt")
    codes, projection = cached_projection(
        load_model(checkpoint),
        checkpoint,
        load_dataset("embedded"),
        method,
        ROOT / "checkpoints" / "projections",
    )
    rule = explorer.inverse_rule(projection)
    assert rule["kind"] == method
    if method == "pca":  # the JS computes mean + p . components: the same numbers
        point = np.array([[0.7, -1.2]], dtype=np.float32)
        mean, components = np.array(rule["mean"]), np.array(rule["components"])
        expected, exact = projection.inverse(point, codes)
        np.testing.assert_allclose(mean + point @ components, expected, atol=1e-5)
        assert exact
    if method == "tsne":
        assert rule["neighbours"] == 10


def test_a_checkpoint_that_cannot_be_exported_gives_a_notice_not_an_error(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint")
    decoder = explorer.decoder_for(bad)
    assert decoder.url is None
    assert decoder.notice.startswith("Live preview off:") and "broken.pt" in decoder.notice


def test_a_shipped_decoder_is_served_from_static():
    decoder = explorer.decoder_for(ROOT / "checkpoints" / "ae_k2.pt")
    assert decoder.notice is None
    assert decoder.url.startswith("/app/static/onnx/ae_k2_") and decoder.url.endswith(".onnx")
    assert (explorer.STATIC_DIR / decoder.url.removeprefix("/app/static/")).exists()


def test_the_demo_page_runs_without_exception():
    at = AppTest.from_file(str(ROOT / "tests" / "apps" / "explorer_demo.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "ae_k2 · raw" in at.title[0].value


def test_a_checkpoints_map_is_published_once_per_version():
    from ui import map_explorer
    from ui.compute import resources

    (info,) = [i for i in resources.checkpoints() if i.name == "vae_k16"]
    published = map_explorer.explorer_map(info, "embedded", "tsne")
    assert published == map_explorer.explorer_map(info, "embedded", "tsne")
    assert published["latent_dim"] == 16 and published["sprite_columns"] == 71
    for name in ("coords_url", "labels_url", "codes_url", "sprites_url"):
        assert (explorer.STATIC_DIR / published[name].removeprefix("/app/static/")).exists()
    assert map_explorer.decoder(info) == explorer.decoder_for(info.path)


@pytest.mark.parametrize(
    ("point", "says"),
    [
        ((0.5, 0.5), None),
        ((1.2, -0.2), None),  # within the margin a quarter of the map beyond its box
        ((float("inf"), float("-inf")), "(inf, -inf) is not a place on the map"),
        ((float("nan"), 0.0), "(nan, 0) is not a place"),
        ((1.3, 0.5), "far off the map (x from 0.00 to 1.00"),
        ((0.5, -1e300), "far off the map"),
        ((1.0,), "(1) is not a place"),
    ],
)
def test_a_place_is_decoded_only_when_finite_and_near_the_map(point, says):
    from core.latent.projections import place_problem

    coords = np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    problem = place_problem(point, coords)
    assert problem is None if says is None else says in problem


def test_the_component_modules_are_joined_in_dependency_order_without_imports():
    from ui.components.modules import join_modules

    folder = ROOT / "ui" / "components" / "explorer"
    joined = join_modules(folder / "main.js")
    headers = [line for line in joined.splitlines() if line.startswith("// ---- explorer/")]
    names = [h.removeprefix("// ---- explorer/").removesuffix(" ----") for h in headers]
    assert sorted(names) == sorted(p.name for p in folder.glob("*.js"))  # each once, none lost
    assert names[-1] == "main.js" and names.index("runtime.js") < names.index("codec.js")
    assert not [line for line in joined.splitlines() if line.startswith("import ")]
    assert "const panel = { part, setStatus," in joined  # `import * as panel` as an object
    assert joined.count("export default function") == 1


def test_the_playback_is_joined_with_the_explorers_runtime_not_a_copy():
    from ui.components.modules import join_modules

    components = ROOT / "ui" / "components"
    joined = join_modules(components / "playback" / "main.js")
    headers = [line for line in joined.splitlines() if line.startswith("// ---- ")]
    names = [h.removeprefix("// ---- ").removesuffix(" ----") for h in headers]
    own = sorted(f"playback/{p.name}" for p in (components / "playback").glob("*.js"))
    assert sorted(n for n in names if n.startswith("playback/")) == own
    assert "explorer/runtime.js" in names and names[-1] == "playback/main.js"
    assert joined.count("InferenceSession.create") == 1  # one loader: the explorer's
    assert joined.count("export default function") == 1
    for module in [*components.glob("playback/*.js"), *components.glob("explorer/*.js")]:
        assert len(module.read_text().splitlines()) <= 250, module.name


def test_joining_refuses_what_it_cannot_join(tmp_path):
    from ui.components.modules import join_modules

    (tmp_path / "a.js").write_text('import { b } from "./b.js";\nexport const a = 1;\n')
    (tmp_path / "b.js").write_text('import { a } from "./a.js";\nexport const b = 2;\n')
    with pytest.raises(ValueError, match="cycle"):
        join_modules(tmp_path / "a.js")
    (tmp_path / "c.js").write_text('import { b as d } from "./b.js";\n')
    with pytest.raises(ValueError, match="cannot be joined"):
        join_modules(tmp_path / "c.js")
    (tmp_path / "e.js").write_text('import x from "https://example.org/x.js";\n')
    with pytest.raises(ValueError, match="only relative"):
        join_modules(tmp_path / "e.js")


def test_every_mode_sends_the_constants_python_also_knows():
    from core.latent.projections import OFF_MAP_MARGIN
    from ui.plots import CLASS_COLORS

    shared = explorer.shared_constants()
    assert shared == {
        "class_colors": list(CLASS_COLORS),
        "off_map_margin": OFF_MAP_MARGIN,
        "max_sliders": explorer.MAX_SLIDERS,
    }
    for module in (ROOT / "ui" / "components").glob("*/*.js"):  # the explorer's, the playback's
        text = module.read_text()
        assert "#4e79a7" not in text and "0.25" not in text, module.name  # not written twice
