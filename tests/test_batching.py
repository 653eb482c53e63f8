"""Documents in batches: one task for several small documents, each failure in its place."""

from __future__ import annotations

import pytest

from pledgeflow import stages
from pledgeflow.catalog import Source
from pledgeflow.flows.pipeline import MAX_BATCH, batch_size


def source(id_: str, url: str) -> Source:
    return Source(id=id_, url=url, organisation="Test Party", council="Testshire",
                  kind="manifesto", title=id_, period="2024-2028")


@pytest.fixture()
def settings(tmp_path) -> stages.Settings:
    return stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                           isolate=False, fetch_attempts=1)


def test_a_failing_document_keeps_its_place_and_the_others_load(http_server, settings,
                                                                 samples_dir):
    page = (samples_dir / "html" / "bnes-libdem-children.html").read_bytes()
    http_server.route("/batch/good.html", body=page, headers={"Content-Type": "text/html"})
    http_server.route("/batch/gone.html", status=404)
    http_server.route("/batch/empty.html", body=b"", headers={"Content-Type": "text/html"})
    jobs = [stages.Job(source(name, http_server.url(f"/batch/{name}.html")))
            for name in ("good", "gone", "empty", "good")]
    outcomes = stages.process_batch(jobs, settings)
    assert [type(o).__name__ for o in outcomes] == ["Processed", "StageFailed", "StageFailed",
                                                    "Processed"]
    assert (outcomes[1].stage, outcomes[2].stage) == ("fetch", "parse")
    assert outcomes[0].extracted.extraction.records  # the page's pledges
    # what travels back to the flow leaves the bytes on disk
    assert outcomes[0].item.fetched.data == b"" and outcomes[0].item.size == len(page)
    assert outcomes[0].item.metadata()["bytes"] == len(page)


@pytest.mark.parametrize(("documents", "expected"), [
    (1, 1), (5, 1), (40, 1), (100, 3), (1000, MAX_BATCH), (100_000, MAX_BATCH)])
def test_batches_grow_only_when_every_thread_has_tasks_to_spare(documents, expected):
    assert batch_size(documents, threads=8) == expected


def test_in_order_keeps_at_most_the_window_submitted_and_not_yet_handled():
    from pledgeflow.ledger import in_order

    submitted: list[int] = []
    handled: list[int] = []
    for item, future in in_order(range(7), lambda i: submitted.append(i) or f"f{i}", 3):
        assert future == f"f{item}"
        assert len(submitted) - len(handled) <= 3
        handled.append(item)
    assert handled == submitted == list(range(7))
