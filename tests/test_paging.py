"""Pagination: URLs, counts and the small navigation window."""

from sitegen.plan.paging import Pager, paginate


def test_page_one_is_the_clean_url_and_later_pages_are_under_page_n():
    pages = list(paginate("/tags/china/", list(range(45)), 20))
    assert [(len(items), p.number, p.count, p.total) for items, p in pages] == [(20, 1, 3, 45), (20, 2, 3, 45), (5, 3, 3, 45)]
    assert [p.url(p.number) for _, p in pages] == ["/tags/china/", "/tags/china/page/2/", "/tags/china/page/3/"]
    assert (pages[0][1].prev_url, pages[0][1].next_url) == (None, "/tags/china/page/2/")
    assert (pages[2][1].prev_url, pages[2][1].next_url) == ("/tags/china/page/2/", None)
    assert [items[0] for items, _ in pages] == [0, 20, 40]


def test_an_empty_listing_still_has_its_first_page():
    [(items, pager)] = list(paginate("/stories/", [], 20))
    assert (list(items), pager.count, pager.links[0].number) == ([], 1, 1)


def test_the_window_stays_small_on_a_huge_listing():
    pager = Pager("/", 25_000, 50_000, 1_000_000)
    numbers = [link.number for link in pager.links]
    assert numbers == [1, None, 24_998, 24_999, 25_000, 25_001, 25_002, None, 50_000]
    assert [link.current for link in pager.links].count(True) == 1
    assert pager.links[4].url == "/page/25000/"


def test_window_near_the_ends_has_no_needless_gaps():
    assert [l.number for l in Pager("/", 1, 4, 80).links] == [1, 2, 3, 4]
    assert [l.number for l in Pager("/", 2, 9, 180).links] == [1, 2, 3, 4, None, 9]
    assert [l.number for l in Pager("/", 5, 9, 180).links] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert [l.number for l in Pager("/", 5, 12, 240).links] == [1, 2, 3, 4, 5, 6, 7, None, 12]
