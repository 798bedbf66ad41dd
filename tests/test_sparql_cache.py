"""The per-process response cache: LRU order, limits, and what its key depends on."""

from __future__ import annotations

from aifactories.cache import CachedResponse, ResponseCache, response_key


def _entry(body: bytes = b"x") -> CachedResponse:
    return CachedResponse(body, "text/csv")


def test_least_recently_used_entry_is_evicted() -> None:
    cache = ResponseCache(max_entries=2)
    cache.put("a", _entry())
    cache.put("b", _entry())
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("c", _entry())
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    assert len(cache) == 2


def test_hits_and_misses_are_counted() -> None:
    cache = ResponseCache(max_entries=4)
    cache.get("a")
    cache.put("a", _entry())
    cache.get("a")
    assert (cache.hits, cache.misses) == (1, 1)


def test_zero_entries_disables_the_cache() -> None:
    cache = ResponseCache(max_entries=0)
    cache.put("a", _entry())
    assert cache.get("a") is None


def test_huge_bodies_are_not_kept() -> None:
    cache = ResponseCache(max_entries=4, max_body_bytes=10)
    cache.put("big", _entry(b"x" * 11))
    assert cache.get("big") is None


def test_key_depends_on_version_query_dataset_and_format() -> None:
    base = response_key("v1", "ASK { }", [], "json")
    assert base == response_key("v1", "ASK { }", [], "json")
    assert (
        len(
            {
                base,
                response_key("v2", "ASK { }", [], "json"),
                response_key("v1", "ASK { ?s ?p ?o }", [], "json"),
                response_key("v1", "ASK { }", [("default-graph-uri", "http://g")], "json"),
                response_key("v1", "ASK { }", [("named-graph-uri", "http://g")], "json"),
                response_key("v1", "ASK { }", [], "xml"),
            }
        )
        == 6
    )


def test_key_parts_cannot_run_into_each_other() -> None:
    assert response_key("v1", "ab", [], "c") != response_key("v1", "a", [], "bc")
