"""bench/: the README's measured figures are what the committed results say, and every
results file a script writes says which commit, machine and day measured it."""

from __future__ import annotations

import json

from bench import report


def test_the_readme_block_is_what_the_committed_results_make():
    """Edit bench/results/*.json by running a bench, then ``python -m bench.report --readme``;
    never the figures in README.md by hand."""
    assert report.readme_block_now() == report.readme_block(), (
        "README.md's figures differ from bench/results: run python -m bench.report --readme"
    )


def test_a_figure_follows_its_results_file(tmp_path):
    quality = json.loads((report.RESULTS / "quality.json").read_text())
    quality["ae_vs_pca"]["2"]["ratio"] = 0.123456
    (tmp_path / "quality.json").write_text(json.dumps(quality))
    block = report.readme_block(tmp_path)
    assert "k=2: 0.123x" in block
    assert "Fashion-MNIST" not in block  # its results file is missing there: no paragraph
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{report.BEGIN}\nold\n{report.END}\n\n## after\n")
    assert report.rewrite_readme(readme, tmp_path)
    assert readme.read_text() == f"# x\n\n{block}\n\n## after\n"
    assert not report.rewrite_readme(readme, tmp_path)  # a second run changes nothing


def test_a_results_file_records_commit_machine_and_date(tmp_path):
    report.write(tmp_path / "x.json", {"value": 1.5})
    written = json.loads((tmp_path / "x.json").read_text())
    run = written["run"]
    assert written["value"] == 1.5 and len(run["commit"].split("+")[0]) >= 7
    assert run["cores"] >= 1 and run["precision_auto"] in ("bf16", "fp32") and run["cpu"]
    assert run["date"].endswith("UTC") and isinstance(run["bf16_hardware"], bool)
