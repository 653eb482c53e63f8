"""Manifesto discovery: an index page, its section pages and linked PDFs, as one source.

The main site lives under ``/disc-site/`` on the shared ``http_server``; its robots.txt
(at the server root, shared by every test) only disallows ``/disc-site/private/``, so it
cannot disturb other tests. Cases that need a different robots.txt at the root (missing,
5xx, 403) or a second origin run against a private ``LocalHTTPServer`` of their own.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from conftest import LocalHTTPServer

from pledgeflow.fetch.discover import (
    DiscoveryError,
    DiscoveryResult,
    Link,
    RobotsUnavailable,
    compile_pattern,
    discover,
)
from pledgeflow.fetch.sources import Fetched, HTTPStatusError, fetch

HTML = {"Content-Type": "text/html; charset=utf-8"}
ROBOTS = b"User-agent: *\nDisallow: /disc-site/private/\n"


def page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><main><h1>{title}</h1>{body}</main></body></html>"
    ).encode()


def section(title: str) -> bytes:
    # Each section page links on to a deeper page that discovery must never reach.
    return page(
        title,
        f"<p>We will deliver on {title.lower()} for every resident of the borough.</p>"
        '<p><a href="/disc-site/deeper.html">More detail</a></p>',
    )


class Recorder:
    """A fetch_fn that fetches for real and remembers every URL it was asked for."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str, **kwargs) -> Fetched:
        self.urls.append(url)
        return local_fetch(url, **kwargs)


def local_fetch(url: str, **kwargs) -> Fetched:
    """fetch(), but only on this machine: a regression must not reach out to the network."""
    parts = urlsplit(url)
    assert parts.scheme == "file" or parts.hostname == "127.0.0.1", f"off-host fetch: {url}"
    return fetch(url, **kwargs)


def ingest(result: DiscoveryResult) -> list[Fetched]:
    """What the flow does with a discovery: fetch each link, in order."""
    return [local_fetch(link.url) for link in sorted(result.links, key=lambda link: link.order)]


@pytest.fixture
def site(http_server, samples_dir) -> LocalHTTPServer:
    """The party site: an index page, three sections, a PDF, and links to ignore."""
    base = http_server.base_url
    index = f"""
        <p>Our manifesto for the borough, in three parts.</p>
        <ul>
          <li><a href="section-housing.html">Housing</a></li>
          <li><a href="{base}/disc-site/section-transport.html#buses">Transport</a></li>
          <li><a href="http://example.invalid/other">Our friends elsewhere</a></li>
          <li><a href="./section-housing.html">Housing (again)</a></li>
          <li><a href="/disc-site/private/section-draft.html">Draft section</a></li>
          <li><a href="section-environment.html">  Green
                 spaces  </a></li>
          <li><a href="files/full-manifesto.pdf">Full manifesto (PDF)</a></li>
          <li><a href="index.html">Home</a> <a href="#top">Top</a></li>
          <li><a href="mailto:agent@party.example">Contact us</a></li>
          <li><a href="style/site.css">Stylesheet</a></li>
        </ul>"""
    http_server.route("/robots.txt", body=ROBOTS, headers={"Content-Type": "text/plain"})
    http_server.route("/disc-site/index.html", body=page("Manifesto", index), headers=HTML)
    for name in ("housing", "transport", "environment"):
        http_server.route(
            f"/disc-site/section-{name}.html", body=section(name.title()), headers=HTML
        )
    http_server.route("/disc-site/private/section-draft.html", body=section("Draft"),
                      headers=HTML)
    http_server.route("/disc-site/deeper.html", body=section("Deeper"), headers=HTML)
    pdf = (samples_dir / "pdf" / "ealing-pledges-2022.pdf").read_bytes()
    http_server.route("/disc-site/files/full-manifesto.pdf", body=pdf,
                      headers={"Content-Type": "application/pdf"})
    return http_server


@pytest.fixture
def other_server(http_server) -> Iterator[LocalHTTPServer]:
    """A second, private site on its own port (with its own root and robots.txt).

    Depends on ``http_server`` so the session's NO_PROXY settings for 127.0.0.1 apply.
    """
    server = LocalHTTPServer()
    # fetch() closes the connection without reading the body of an error answer (robots.txt
    # 404/503 here); the server's keep-alive loop then sees a reset and would print a
    # traceback. That is expected, so keep it out of the test output.
    httpd = server._httpd
    report = httpd.handle_error

    def quiet(request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionResetError):
            report(request, client_address)

    httpd.handle_error = quiet
    server.start()
    try:
        yield server
    finally:
        server.stop()


def paths(links: list[Link]) -> list[str]:
    return [urlsplit(link.url).path for link in links]


# --- the acceptance case ------------------------------------------------------------


def test_index_three_sections_and_pdf_become_four_documents_in_page_order(site, samples_dir):
    recorder = Recorder()
    before = len(site.requests)
    result = discover(site.url("/disc-site/index.html"), pattern=None, fetch_fn=recorder)

    assert paths(result.links) == [
        "/disc-site/section-housing.html",
        "/disc-site/section-transport.html",
        "/disc-site/section-environment.html",
        "/disc-site/files/full-manifesto.pdf",
    ]
    assert [link.order for link in result.links] == [1, 2, 3, 4]
    assert [link.text for link in result.links] == [
        "Housing", "Transport", "Green spaces", "Full manifesto (PDF)",
    ]
    assert result.links[1].url == site.url("/disc-site/section-transport.html")  # no #buses
    assert result.skipped_offsite == ["http://example.invalid/other"]
    assert result.skipped_robots == [site.url("/disc-site/private/section-draft.html")]
    assert result.skipped_pattern == [site.url("/disc-site/style/site.css")]
    assert result.skipped_cap == 0

    # Discovery itself asked for the index page and robots.txt only, never the off-site link.
    assert recorder.urls == [site.url("/disc-site/index.html"), site.url("/robots.txt")]
    asked = [r.path for r in site.requests[before:]]
    assert asked == ["/disc-site/index.html", "/robots.txt"]
    robots_request = site.requests_for("/robots.txt")[-1]
    assert robots_request.headers["User-Agent"].startswith("pledgeflow/")

    documents = ingest(result)
    assert [d.media_type for d in documents] == ["text/html"] * 3 + ["application/pdf"]
    pdf = (samples_dir / "pdf" / "ealing-pledges-2022.pdf").read_bytes()
    assert documents[3].sha256 == hashlib.sha256(pdf).hexdigest()
    assert site.requests_for("/disc-site/private/section-draft.html") == []


def test_links_found_on_section_pages_are_never_followed(site):
    result = discover(site.url("/disc-site/index.html"), pattern=None)
    ingest(result)
    assert "/disc-site/deeper.html" not in paths(result.links)
    assert site.requests_for("/disc-site/deeper.html") == []


# --- pattern and cap --------------------------------------------------------------------------


def test_pattern_selects_only_section_urls(site):
    result = discover(site.url("/disc-site/index.html"), pattern=r"/section-")
    assert paths(result.links) == [
        "/disc-site/section-housing.html",
        "/disc-site/section-transport.html",
        "/disc-site/section-environment.html",
    ]
    assert site.url("/disc-site/files/full-manifesto.pdf") in result.skipped_pattern
    # The pattern does not override robots.txt or the same-site rule.
    assert result.skipped_robots == [site.url("/disc-site/private/section-draft.html")]
    assert result.skipped_offsite == ["http://example.invalid/other"]


def test_page_cap_keeps_the_first_pages_and_counts_the_rest(site, caplog):
    with caplog.at_level(logging.WARNING, logger="pledgeflow.fetch.discover"):
        result = discover(site.url("/disc-site/index.html"), pattern=None, max_pages=2)
    assert paths(result.links) == [
        "/disc-site/section-housing.html",
        "/disc-site/section-transport.html",
    ]
    assert result.skipped_cap == 2
    assert "dropping 2" in caplog.text
    assert "2 over the cap" in result.summary()


def test_invalid_pattern_or_cap_raise_one_line_value_errors(site):
    with pytest.raises(ValueError, match=r"invalid link pattern '\(unclosed'"):
        compile_pattern("(unclosed")
    with pytest.raises(ValueError, match="max_pages must be at least 1"):
        discover(site.url("/disc-site/index.html"), pattern=None, max_pages=0)


# --- robots.txt ---------------------------------------------------------------------------


def test_missing_robots_txt_404_allows_everything(other_server):
    other_server.route("/index.html", headers=HTML, body=page("Manifesto", (
        '<a href="/private/one.html">One</a> <a href="/admin/two.pdf">Two</a>'
    )))
    result = discover(other_server.url("/index.html"), pattern=None)
    assert paths(result.links) == ["/private/one.html", "/admin/two.pdf"]
    assert result.skipped_robots == []
    assert len(other_server.requests_for("/robots.txt")) == 1  # answered 404 (no route)


@pytest.mark.parametrize("status", [500, 503])
def test_robots_txt_server_error_stops_discovery_and_is_retryable(other_server, status):
    other_server.route("/robots.txt", status=status, body=b"down")
    other_server.route("/index.html", headers=HTML,
                       body=page("Manifesto", '<a href="one.html">One</a>'))
    with pytest.raises(RobotsUnavailable) as caught:
        discover(other_server.url("/index.html"), pattern=None)
    assert caught.value.retryable
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("robots.txt unavailable, not crawling the site: ")
    assert other_server.requests_for("/one.html") == []


def test_robots_txt_timeout_stops_discovery(other_server):
    other_server.route("/robots.txt", body=b"", delay=1.0)
    other_server.route("/index.html", headers=HTML,
                       body=page("Manifesto", '<a href="one.html">One</a>'))
    with pytest.raises(RobotsUnavailable, match="timed out"):
        discover(other_server.url("/index.html"), pattern=None, timeout=0.2)


def test_robots_txt_forbidden_403_disallows_everything(other_server):
    other_server.route("/robots.txt", status=403, body=b"no")
    other_server.route("/index.html", headers=HTML,
                       body=page("Manifesto", '<a href="one.html">One</a>'))
    result = discover(other_server.url("/index.html"), pattern=None)
    assert result.links == []
    assert result.skipped_robots == [other_server.url("/one.html")]


def test_robots_rules_for_our_user_agent_and_crawl_delay_apply(other_server):
    other_server.route("/robots.txt", headers={"Content-Type": "text/plain"}, body=(
        b"User-agent: pledgeflow\nDisallow: /drafts/\nCrawl-delay: 2\n\n"
        b"User-agent: *\nDisallow: /\n"
    ))
    other_server.route("/index.html", headers=HTML, body=page("Manifesto", (
        '<a href="/drafts/a.html">A</a> <a href="/final/b.html">B</a>'
    )))
    result = discover(other_server.url("/index.html"), pattern=None)
    assert paths(result.links) == ["/final/b.html"]
    assert result.skipped_robots == [other_server.url("/drafts/a.html")]
    assert result.crawl_delay == 2.0


def test_no_robots_request_when_no_link_is_left_to_check(other_server):
    other_server.route("/index.html", headers=HTML,
                       body=page("Manifesto", '<a href="http://example.invalid/x">X</a>'))
    result = discover(other_server.url("/index.html"), pattern=None)
    assert result.links == [] and result.skipped_offsite == ["http://example.invalid/x"]
    assert other_server.requests_for("/robots.txt") == []


# --- same site ----------------------------------------------------------------------------


def test_other_port_and_other_scheme_of_same_host_are_off_site_and_never_requested(
    site, other_server
):
    https_same_host = f"https://127.0.0.1:{site.port}/disc-site/section-housing.html"
    other_server.route("/index.html", headers=HTML, body=page("Manifesto", (
        f'<a href="{site.url("/disc-site/section-housing.html")}">Other port</a>'
        f'<a href="{https_same_host}">Other scheme</a>'
        '<a href="/mine.html">Mine</a>'
    )))
    before = len(site.requests)
    result = discover(other_server.url("/index.html"), pattern=None)
    assert paths(result.links) == ["/mine.html"]
    assert result.skipped_offsite == [
        site.url("/disc-site/section-housing.html"), https_same_host,
    ]
    assert site.requests[before:] == []


def test_links_resolve_against_base_href_and_the_redirected_final_url(other_server):
    other_server.redirect("/start", "/party/manifesto/")
    other_server.route("/party/manifesto/", headers=HTML, body=page("Manifesto", (
        '<a href="housing">Housing</a> <a href="/party/manifesto/">Self</a>'
    )))
    result = discover(other_server.url("/start"), pattern=None)
    assert result.index_url == other_server.url("/party/manifesto/")
    assert paths(result.links) == ["/party/manifesto/housing"]

    other_server.route("/based.html", headers=HTML, body=(
        b'<html><head><base href="/docs/2025/"></head><body>'
        b'<a href="plan.pdf">Plan</a></body></html>'
    ))
    result = discover(other_server.url("/based.html"), pattern=None)
    assert paths(result.links) == ["/docs/2025/plan.pdf"]


# --- the index page itself ----------------------------------------------------------------


def test_include_index_makes_the_index_page_document_zero_when_it_has_content(site):
    result = discover(site.url("/disc-site/index.html"), pattern=r"/section-",
                      include_index=True)
    assert result.links[0] == Link(url=site.url("/disc-site/index.html"), text="Manifesto",
                                   order=0)
    assert [link.order for link in result.links] == [0, 1, 2, 3]
    assert result.index is not None and result.index.final_url == result.links[0].url


def test_include_index_skips_an_index_page_without_content(other_server):
    other_server.route("/index.html", headers=HTML, body=(
        b"<html><body><nav><a href='one.html'>One</a></nav></body></html>"
    ))
    result = discover(other_server.url("/index.html"), pattern=None, include_index=True)
    assert [(link.order, urlsplit(link.url).path) for link in result.links] == [
        (1, "/one.html"),
    ]


# --- file:// index pages ------------------------------------------------------------------


def test_file_index_page_resolves_relative_links_within_its_folder(tmp_path, samples_dir):
    site_dir = tmp_path / "manifesto"
    (site_dir / "sections").mkdir(parents=True)
    (site_dir / "sections" / "housing.html").write_bytes(section("Housing"))
    (site_dir / "sections" / "transport.html").write_bytes(section("Transport"))
    (site_dir / "full.pdf").write_bytes(
        (samples_dir / "pdf" / "ealing-pledges-2022.pdf").read_bytes()
    )
    (tmp_path / "outside.html").write_bytes(section("Outside"))
    (site_dir / "index.html").write_bytes(page("Manifesto", (
        '<a href="sections/housing.html">Housing</a>'
        '<a href="sections/transport.html#top">Transport</a>'
        '<a href="../outside.html">Outside the folder</a>'
        '<a href="full.pdf">PDF</a>'
        '<a href="https://party.example/">Party site</a>'
    )))
    recorder = Recorder()
    result = discover((site_dir / "index.html").as_uri(), pattern=None, fetch_fn=recorder)

    assert [link.url for link in result.links] == [
        (site_dir / "sections" / "housing.html").as_uri(),
        (site_dir / "sections" / "transport.html").as_uri(),
        (site_dir / "full.pdf").as_uri(),
    ]
    assert result.skipped_offsite == [
        (tmp_path / "outside.html").as_uri(), "https://party.example/",
    ]
    assert recorder.urls == [(site_dir / "index.html").as_uri()]  # no robots.txt for files
    assert [d.media_type for d in ingest(result)] == ["text/html", "text/html",
                                                      "application/pdf"]


# --- errors -------------------------------------------------------------------------------


def test_index_page_fetch_error_propagates(other_server):
    with pytest.raises(HTTPStatusError, match=r"^HTTP 404 .* for http://127\.0\.0\.1:\d+/"):
        discover(other_server.url("/missing-index.html"), pattern=None)
    assert other_server.requests_for("/robots.txt") == []


def test_index_page_that_is_not_html_raises_discovery_error(site):
    with pytest.raises(DiscoveryError, match=r"^index page is not HTML \(application/pdf\)"):
        discover(site.url("/disc-site/files/full-manifesto.pdf"), pattern=None)
