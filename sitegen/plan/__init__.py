"""The page plan: one Page (URL, template, context) per page of the site.

URL and output path come from one compiled URL scheme (``urls``), so they cannot
disagree; two pages claiming one path is an error naming both sources. Templates get
ready lists here: no template loops over the whole archive.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date, datetime, timezone
from typing import Any, Sequence

from sitegen.bodies import NO_BODIES, BodyStore
from sitegen.config import Config
from sitegen.errors import Diagnostic, error
from sitegen.i18n import Messages, load_messages
from sitegen.indexes import Indexes
from sitegen.model import Article, slugify
from sitegen.plan import feeds, meta, sitemaps
from sitegen.plan.feeds import FeedLink
from sitegen.plan.paging import Pager, paginate
from sitegen.plan.pages import DayCell, Link, Page, Period, Plan, RelatedLink, SectionBlock, Wanted, kind_list, name_list, period_list, term_list
from sitegen.plan.urls import Urls, output_path

KIND_LABELS = {"section": "Sections", "tag": "Tags", "author": "Authors", "source": "Sources"}  # message ids
KIND_LABEL = {"section": "Section: {name}", "tag": "Tag: {name}", "author": "Author: {name}", "source": "Source: {name}"}
KIND_DESCRIPTIONS = {"section": "All sections of the archive.", "tag": "All tags of the archive.",
                     "author": "All authors of the archive.", "source": "All sources of the archive."}
NAV_SECTIONS = 7


class _Planner:
    def __init__(self, config: Config, indexes: Indexes, build_time: datetime, provided: frozenset[str],
                 messages: Messages, bodies: BodyStore, wanted: Wanted | None = None):
        self.config, self.ix, self.bodies = config, indexes, bodies
        self.wanted = wanted  # the output paths of a narrow plan (see plan_site); None: every page
        # the listings' lastmod, for sitemaps/pages.xml: a narrow plan finds it only when that file is wanted
        self.listings = wanted is None or wanted.sitemaps
        self.t = messages  # the site's words, month names and date formats
        self.build_time, self.provided = build_time, provided
        self.listed: list[sitemaps.Entry] = []  # listings and indexes, for sitemaps/pages.xml
        self.urls = Urls(config)
        self.size = config.page_size
        self.kinds = config.pages  # which optional page kinds exist: links to the others are left out
        self.pages: list[Page] = []
        self.article_urls: dict[str, str] = {}
        self.claimed: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []

    @functools.cached_property
    def oldest_first(self) -> list[Article]:
        """The articles oldest first, ties by path: sorted once, by instants as numbers (sorting
        by aware datetimes took 0.03 s at 10,000 articles, and articles and aliases each did it)."""
        return sorted(self.ix.articles, key=lambda a: (a.date.timestamp(), a.path))

    def add(self, page: Page) -> bool:
        output = page.output
        other = self.claimed.get(output)
        if other is not None:
            self.diagnostics.append(error(page.source or page.url, 1,
                                          f"output path {output} is already written by {other or 'the site'}"))
            return False
        self.claimed[output] = page.source or page.url
        crumbs = page.context.get("breadcrumbs")
        if crumbs and crumbs[-1].url is None:  # the trail ends at this listing (its first page)
            page.context["breadcrumbs"] = crumbs = [*crumbs[:-1], Link(crumbs[-1].label, page.pager.base if page.pager else page.url)]
        if crumbs and "structured_data" not in page.context:
            page.context["structured_data"] = [meta.Breadcrumbs(tuple((c.label, c.url) for c in crumbs))]
        self.pages.append(page)
        return True

    def wants(self, url: str) -> bool:
        """Whether the page at ``url`` is made: every page, or only the wanted ones of a narrow plan."""
        return self.wanted is None or output_path(url) in self.wanted

    def list_in_sitemap(self, url: str, articles: Sequence[Article]) -> None:
        if not self.listings:
            return
        self.listed.append(sitemaps.Entry(url, sitemaps.lastmod([a for a in articles if not a.draft])))

    def title(self, heading: str, pager: Pager | None = None) -> str:
        suffix = self.t(" — page {number} of {total}", number=self.t.number(pager.number),
                        total=self.t.number(pager.count)) if pager and pager.number > 1 else ""
        return f"{heading}{suffix} — {self.config.title}"

    def listing(self, base: str, template: str, heading: str, items: Sequence, description: str = "",
                lists: tuple[str, ...] = (), **context: Any) -> None:
        """Every page of a paginated listing of ``items`` (articles or stories; ``lists``: the list
        they are, see Page.lists)."""
        for chunk, pager in paginate(base, items, self.size):
            key = "stories" if template == "stories.html" else "articles"
            if pager.number == 1:
                self.list_in_sitemap(base, [a for story in chunk for a in story.articles] if key == "stories" else chunk)
            if not self.wants(pager.url(pager.number)):
                continue
            self.add(Page(url=pager.url(pager.number), template=template, title=self.title(heading, pager),
                          description=description, pager=pager, lists=lists,
                          context={"heading": heading, key: list(chunk), "pager": pager, **context}))

    # -- pages ------------------------------------------------------------------------------

    def articles(self) -> None:
        more, refs = self.article_context, self.article_inputs  # bound once, shared by every article page
        # older articles first, so an older article keeps a contested path
        for article in self.oldest_first:
            url = self.urls.article(article)
            if not self.wants(url):  # a narrow plan claims no path: the last build's claims stand (see plan_site)
                self.article_urls[article.path] = url
                continue
            if self.add(Page(url=url, template="article.html", title=self.title(article.title), source=article.path,
                             description=article.summary, context={"article": article},
                             more=more, more_of=article, more_inputs=refs)):
                self.article_urls[article.path] = url
        published = [a for a in self.ix.articles if a.path in self.article_urls]
        self._neighbours(published)

    def _neighbours(self, published: list[Article]) -> None:
        """Older and newer article, overall and within the section: one pass over each list (of the
        articles with a page; a narrow plan links only the pages it makes)."""
        by_path = {p.source: p for p in self.pages if p.template == "article.html"}
        urls = self.article_urls

        def link(articles: Sequence[Article], older: str, newer: str) -> None:
            articles = [a for a in articles if a.path in urls]  # newest first
            for i, article in enumerate(articles):
                page = by_path.get(article.path)
                if page is None:
                    continue
                context = page.context
                context[newer] = articles[i - 1] if i > 0 else None
                context[older] = articles[i + 1] if i + 1 < len(articles) else None

        link(published, "prev_article", "next_article")
        for term in self.ix.terms["section"].values():
            link(term.articles, "prev_in_section", "next_in_section")
        for page in by_path.values():
            page.context.setdefault("next_in_section", None)
            page.context.setdefault("prev_in_section", None)

    def article_refs(self, article: Article) -> dict[str, Any]:
        """What an article page's context is made of besides the article and its URL: its terms,
        related list and story."""
        return {**self._terms_and_story(article), "related": self.related_links(article, self.config.related.count)}

    def article_inputs(self, article: Article) -> dict[str, Any]:
        """What ``article_refs`` is made from, for the page key (the code that makes the rest of the
        context from it is in the key's salt): its terms and story, and what its related list is
        made from (``related_inputs``). A third of the cost of keying every page went on making the
        links themselves."""
        return {**self._terms_and_story(article), "related": self._related_inputs(article, self.config.related.count)}

    def related_context(self, article: Article) -> dict[str, Any]:
        """The rest of a related page's context: its links, made where it is rendered."""
        return {"matches": self.related_links(article)}

    def related_inputs(self, article: Article) -> tuple:
        """What ``related_context`` is made from, for the related page's key."""
        return self._related_inputs(article, self.config.related.listed)

    def _related_inputs(self, article: Article, shows: int) -> tuple:
        """The explicit references and what pages show of the computed matches
        (``RelatedLists.shown``): only the first ones, which can reach a page that shows ``shows``,
        with as many more as it has explicit references (it may skip those as listed already),
        counting only articles with a page. Read a first part of the list at a time: an article
        page shows 5 of the 20 its related page lists."""
        explicit = self.ix.related.get(article.path, ())
        need = shows + len(explicit)
        limit = need
        while True:
            others, scores, words = self.ix.similar.shown(article.path, limit)
            cut, left = 0, need
            while cut < len(others) and left > 0:
                left -= others[cut].path in self.article_urls
                cut += 1
            if left <= 0 or len(others) < limit:  # enough with a page, or the whole list read
                return explicit, others[:cut], scores[:cut], words[:cut]
            limit *= 2

    def _terms_and_story(self, article: Article) -> dict[str, Any]:
        terms = self.ix.terms
        return {
            "section_term": terms["section"].get(slugify(article.section)) if article.section else None,
            "tag_terms": [terms["tag"][slugify(t)] for t in article.tags],
            "author_terms": [terms["author"][slugify(a)] for a in article.authors],
            "source_term": terms["source"].get(slugify(article.source)) if article.source and self.kinds.sources else None,
            "story": self.ix.story_of.get(article.path) if self.kinds.stories else None,
        }

    def article_context(self, article: Article) -> dict[str, Any]:
        refs = self.article_refs(article)
        local = article.date.astimezone(self.config.zone).date()
        section = refs["section_term"]
        url = self.article_urls[article.path]
        crumbs = [Link(self.t("Home"), "/")] + ([Link(section.name, self.urls.term("section", section.slug))] if section else [])
        structured = [meta.NewsArticleData(article, url, section.name if section else ""),
                      meta.Breadcrumbs((*((c.label, c.url) for c in crumbs), (article.title, url)))]
        return {
            **refs,
            "structured_data": structured,
            "breadcrumbs": crumbs,
            "date_trail": [Link(str(local.year), self.urls.year(local.year)),
                           Link(self.t.date(local, "month"), self.urls.month(local.year, local.month)),
                           *([Link(str(local.day), self.urls.day(local))] if self.kinds.days else [])],
            "related_url": self.urls.related(url) if self.kinds.related else None,
        }

    def related_links(self, article: Article, shows: int | None = None) -> list[RelatedLink]:
        """Explicit references first (resolved or not), then computed matches not already listed.
        Made where a page that shows them (the article's page, its related page) is rendered, and
        not kept: a million articles' lists would stay in every process that renders. ``shows``:
        only the first ones a page showing that many shows (an article page: every explicit
        reference, and computed matches up to ``shows`` in all), the matches made only so far."""
        links = [RelatedLink(item.article, item.text, True) for item in self.ix.related.get(article.path, ())
                 if item.article is None or item.article.path in self.article_urls]
        seen = {link.article.path for link in links if link.article}
        # the related page lists `listed`; without it only the article page's `count` is shown
        limit = max(self.config.related.listed if self.kinds.related else self.config.related.count,
                    len(self.ix.related.get(article.path, ())))
        if shows is not None:
            limit = min(limit, max(shows, len(links)))
        for match in self.ix.similar.matches(article.path):
            if len(links) >= limit:
                break
            if match.article.path not in seen and match.article.path in self.article_urls:
                # the score as pages show it (a whole percent): a change in the third decimal, which any edit
                # elsewhere makes, then renders no page again (RelatedLists.shown keys it so)
                links.append(RelatedLink(match.article, match.article.title, False, round(match.score * 100) / 100,
                                         match.terms, match.tags))
        return links[:limit]

    def related_pages(self) -> None:
        more, inputs = self.related_context, self.related_inputs  # bound once, shared by every related page
        for article in self.ix.articles:
            url = self.article_urls.get(article.path)
            if url is None or not self.wants(self.urls.related(url)):
                continue
            self.add(Page(url=self.urls.related(url), template="related.html", source=article.path,
                          title=self.title(self.t("Related to: {title}", title=article.title)),
                          description=self.t("Articles related to “{title}”.", title=article.title),
                          context={"article": article,
                                   "breadcrumbs": [Link(self.t("Home"), "/"), Link(article.title, url),
                                                   Link(self.t("Related"), None)]},
                          more=more, more_of=article, more_inputs=inputs))

    def home(self) -> None:
        articles = self.ix.articles
        blocks = [SectionBlock(term, term.articles[:4]) for term in
                  sorted(self.ix.terms["section"].values(), key=lambda t: (-t.count, t.name.casefold()))]
        for chunk, pager in paginate("/", articles, self.size):
            if pager.number == 1:
                self.list_in_sitemap("/", chunk)
            if not self.wants(pager.url(pager.number)):
                continue
            if pager.number == 1:
                context = {"articles": list(chunk), "pager": pager, "section_blocks": blocks,
                           "archive_years": self.archive_years(),
                           "structured_data": [meta.website(self.config, "/search/" if self.config.search else None)]}
                self.add(Page(url="/", template="home.html", title=self.config.title,
                              description=self.config.description, pager=pager, context=context,
                              lists=("home", "dates")))
            else:
                self.add(Page(url=pager.url(pager.number), template="listing.html", pager=pager, lists=("home",),
                              title=self.title(self.t("Latest articles"), pager), description=self.config.description,
                              context={"heading": self.t("Latest articles"), "kind": "home", "term": None,
                                       "articles": list(chunk), "pager": pager,
                                       "breadcrumbs": [Link(self.t("Home"), "/"), Link(self.t("Latest articles"), None)]}))

    def terms(self) -> None:
        for kind, terms in self.ix.terms.items():
            if kind == "source" and not self.kinds.sources:
                continue
            index = self.urls.term_index(kind)
            label = self.t(KIND_LABELS[kind])
            if self.wants(index):
                self.add(Page(url=index, template="terms.html", title=self.title(label), lists=(kind_list(kind),),
                              description=self.t(KIND_DESCRIPTIONS[kind]),
                              context={"heading": label, "kind": kind, "terms": list(terms.values()),
                                       "breadcrumbs": [Link(self.t("Home"), "/"), Link(label, None)]}))
            self.list_in_sitemap(index, self.ix.articles)
            with_feeds = {"section": self.config.feeds.sections, "tag": self.config.feeds.tags,
                          "author": self.config.feeds.authors}.get(kind, False)
            for term in terms.values():
                url = self.urls.term(kind, term.slug)
                group = term_list(kind, term.slug)
                feed = self.feed(f"{term.name} — {self.config.title}", self.t(KIND_LABEL[kind], name=term.name), url,
                                 term.articles, group) if with_feeds else None
                self.listing(url, "listing.html", term.name, term.articles, lists=(group,),
                             description=self.t(KIND_LABEL[kind], name=term.name), kind=kind, term=term,
                             feeds=list(feed.links) if feed else [],
                             breadcrumbs=[Link(self.t("Home"), "/"), Link(label, index), Link(term.name, None)])

    def archive_years(self) -> list[Period]:
        dates = self.ix.dates
        months_of: dict[int, list[Period]] = {}
        for (year, month), items in dates.months.items():
            months_of.setdefault(year, []).append(
                Period(date(year, month, 1), year, len(items), self.urls.month(year, month)))
        return [Period(date(year, 1, 1), year, len(items), self.urls.year(year), tuple(months_of[year]))
                for year, items in dates.years.items()]

    def dates(self) -> None:
        dates, urls = self.ix.dates, self.urls
        years = self.archive_years()
        crumbs = [Link(self.t("Home"), "/"), Link(self.t("Archive"), urls.archive)]
        if self.wants(urls.archive):
            self.add(Page(url=urls.archive, template="archive.html", title=self.title(self.t("Archive")), lists=("dates",),
                          description=self.t("Every year and month of the archive."),
                          context={"heading": self.t("Archive"), "years": years,
                                   "breadcrumbs": crumbs[:1] + [Link(self.t("Archive"), None)]}))
        self.list_in_sitemap(urls.archive, self.ix.articles)
        year_keys = list(dates.years)
        for at, period in enumerate(years):
            older, newer = dates.neighbours(year_keys, period.year, at)
            self.listing(period.url, "year.html", str(period.year), dates.years[period.year], year=period.year,
                         lists=(period_list("year", period.year),),
                         description=self.t("Articles of {year}.", year=period.year), months=list(period.months),
                         breadcrumbs=[*crumbs, Link(str(period.year), None)],
                         prev_period=Link(str(older), urls.year(older)) if older else None,
                         next_period=Link(str(newer), urls.year(newer)) if newer else None)
        month_keys = list(dates.months)
        for at, ((year, month), items) in enumerate(dates.months.items()):
            first = date(year, month, 1)
            older, newer = dates.neighbours(month_keys, (year, month), at)
            self.listing(urls.month(year, month), "month.html", self.t.month_year(year, month), items, month=first,
                         lists=(period_list("month", (year, month)),),
                         description=self.t("Articles of {month}.", month=self.t.month_year(year, month)),
                         calendar=self.calendar(year, month), weekdays=self.t.weekdays(),
                         breadcrumbs=[*crumbs, Link(str(year), urls.year(year)), Link(self.t.date(first, "month"), None)],
                         prev_period=self._month_link(older), next_period=self._month_link(newer))
        day_keys = list(dates.days) if self.kinds.days else []
        for at, day in enumerate(day_keys):
            items = dates.days[day]
            older, newer = dates.neighbours(day_keys, day, at)
            self.listing(urls.day(day), "day.html", self.t.date(day), items, day=day, lists=(period_list("day", day),),
                         description=self.t("Articles of {day}.", day=self.t.date(day)),
                         breadcrumbs=[*crumbs, Link(str(day.year), urls.year(day.year)),
                                      Link(self.t.date(day, "month"), urls.month(day.year, day.month)), Link(str(day.day), None)],
                         prev_period=Link(self.t.date(older), urls.day(older)) if older else None,
                         next_period=Link(self.t.date(newer), urls.day(newer)) if newer else None)

    def _month_link(self, key: tuple[int, int] | None) -> Link | None:
        if key is None:
            return None
        return Link(self.t.month_year(*key), self.urls.month(*key))

    def calendar(self, year: int, month: int) -> list[list[DayCell | None]]:
        days = self.ix.dates.days
        weeks = []
        for week in calendar.Calendar(firstweekday=self.t.first_weekday).monthdayscalendar(year, month):
            row: list[DayCell | None] = []
            for d in week:
                if d == 0:
                    row.append(None)
                    continue
                count = len(days.get(date(year, month, d), ()))
                row.append(DayCell(d, count, self.urls.day(date(year, month, d)) if count and self.kinds.days else None))
            weeks.append(row)
        return weeks

    def stories(self) -> None:
        stories = self.ix.stories
        self.listing(self.urls.stories, "stories.html", self.t("Stories"), stories, lists=("stories",),
                     description=self.t("Running stories: articles grouped by subject, as timelines."))
        for story in stories:
            self.list_in_sitemap(self.urls.story(story.slug), story.articles)
            if not self.wants(self.urls.story(story.slug)):
                continue
            self.add(Page(url=self.urls.story(story.slug), template="story.html", title=self.title(story.title),
                          description=self.t("The story of “{title}” in {count} articles.", title=story.title,
                                             count=len(story.articles)),
                          context={"story": story, "articles": list(story.articles),
                                   "breadcrumbs": [Link(self.t("Home"), "/"), Link(self.t("Stories"), self.urls.stories),
                                                   Link(story.title, None)]}))

    def nav(self) -> tuple[Link, ...]:
        top = sorted(self.ix.terms["section"].values(), key=lambda t: (-t.count, t.name.casefold()))[:NAV_SECTIONS]
        return (*(Link(t.name, self.urls.term("section", t.slug)) for t in top),
                Link(self.t("Archive"), self.urls.archive),
                *([Link(self.t("Stories"), self.urls.stories)] if self.kinds.stories else []),
                Link(self.t("Tags"), self.urls.term_index("tag")))

    def index_links(self) -> tuple[Link, ...]:
        """The archive's index pages (the footer's list), at their configured URLs."""
        kinds = [kind for kind in KIND_LABELS if kind != "source" or self.kinds.sources]
        return (Link(self.t("Archive"), self.urls.archive),
                *(Link(self.t(KIND_LABELS[kind]), self.urls.term_index(kind)) for kind in kinds),
                *([Link(self.t("Stories"), self.urls.stories)] if self.kinds.stories else []))

    # -- for hosts, feed readers, search engines and search ------------------------------------

    def feed(self, title: str, description: str, home: str, articles: Sequence[Article], group: str) -> feeds.Feed:
        """A feed of ``articles`` (those with a page; the list ``group``), its three formats added as pages."""
        feed = feeds.make_feed(title, description, home, [a for a in articles if a.path in self.article_urls],
                               self.config.feeds.entries, self.build_time)
        site = feeds.FeedSite(self.config, self.article_urls, self.ix.terms, self.bodies)
        # its entries' categories by the names of their terms
        names = sorted({name_list(kind, slugify(name)) for a in feed.articles
                        for kind, name in [("section", a.section), *(("tag", tag) for tag in a.tags)] if name})
        for url, produce, inputs in feeds.producers(feed, site):
            if self.wants(url):
                self.add(Page(url=url, template="", title=feed.title, produce=produce, inputs=inputs,
                              lists=(group, *names)))
        return feed

    def site_feeds(self) -> tuple[FeedLink, ...]:
        return self.feed(self.config.title, self.config.description, "/", self.ix.articles, "home").links

    def special_pages(self) -> None:
        """The 404 page (unless the site brings its own) and the search page."""
        if "404.html" not in self.provided and self.wants("/404.html"):
            self.add(Page(url="/404.html", template="404.html", title=self.title(self.t("Page not found"))))
        if self.config.search and self.wants("/search/"):
            self.add(Page(url="/search/", template="search.html", title=self.title(self.t("Search")),
                          description=self.t("Search the articles of {site}.", site=self.config.title),
                          context={"breadcrumbs": [Link(self.t("Home"), "/"), Link(self.t("Search"), None)]}))

    def sitemaps(self) -> None:
        """Monthly sitemaps of articles, one of listings, their index, the news sitemap, robots.txt."""
        if self.wanted is not None and not self.wanted.sitemaps:
            return
        published = [a for a in self.ix.articles if a.path in self.article_urls and not a.draft]
        files = sitemaps.sitemap_files(self.config, published, self.article_urls, self.listed, self.build_time,
                                       robots_txt="robots.txt" not in self.provided)
        for url, produce, inputs in files:
            if self.wants(url):
                self.add(Page(url=url, template="", title=url, produce=produce, inputs=inputs, lists=("all", "stories")))

    def aliases(self) -> None:
        """A redirect page at each old path an article lists in ``aliases``. Planned after every
        other page, so an alias never displaces one; a clash is an error at the alias's own line."""
        owners: dict[str, Article] = {}
        for article in self.oldest_first:  # the older article keeps an alias
            if article.path not in self.article_urls:
                continue
            for alias, line in zip(article.aliases, article.alias_lines):
                output = output_path(alias)
                if self.wanted is not None and output not in self.wanted:
                    continue
                owner, other = owners.get(output), self.claimed.get(output)
                if owner is not None:
                    problem = f"alias '{alias}' is also an alias of {owner.path}"
                elif other is not None:
                    page = f"the page {other}" if other.startswith("/") else f"a page of {other}"
                    problem = f"alias '{alias}' is the path of {page}"
                elif output in self.provided:
                    problem = f"alias '{alias}' is the path of a file the site brings ({output})"
                else:
                    owners[output] = article
                    self.add(Page(url=alias, template="alias.html", title=self.title(article.title),
                                  source=article.path, context={"article": article}))
                    continue
                self.diagnostics.append(error(article.path, line, problem))


def plan_site(config: Config, indexes: Indexes, build_time: datetime | None = None,
              provided: frozenset[str] = frozenset(), messages: Messages | None = None,
              bodies: BodyStore = NO_BODIES, wanted: Wanted | None = None) -> tuple[Plan, list[Diagnostic]]:
    """The pages of the site. ``build_time`` dates the news sitemap and empty feeds;
    ``provided`` names the output files the site brings itself (its own 404.html, robots.txt);
    ``messages`` are the site's words (default: the shipped catalogue of its language);
    ``bodies`` holds the bodies articles do not (for feeds with full content).

    A narrow plan (``wanted``: output paths) makes only the pages written to those paths, each
    exactly as the whole plan makes it, with the whole plan's URLs of articles, navigation and
    feeds. It is for a rebuild whose page keys' basis turns out to be the last build's (see
    pagekeys): the rest of the plan is then the last build's, page for page, so the paths it
    claimed and the problems it found stand, and a narrow plan claims no path but the wanted ones
    and reports no problem of its own. An edit to a body at 10,000 articles plans about 30 pages
    of 15,000 (0.3 s of the whole plan)."""
    if build_time is None:
        build_time = max((a.updated or a.date for a in indexes.articles), default=datetime.fromtimestamp(0, timezone.utc))
    planner = _Planner(config, indexes, build_time, provided, messages or load_messages(None, config)[0], bodies,
                       wanted)
    planner.articles()
    planner.home()
    planner.dates()
    planner.terms()
    if config.pages.related:
        planner.related_pages()
    if config.pages.stories:
        planner.stories()
    site_feeds = planner.site_feeds()
    planner.special_pages()
    planner.sitemaps()
    planner.aliases()  # last: old paths never take a page's place, and stay out of sitemaps and feeds
    plan = Plan(tuple(planner.pages), planner.article_urls, planner.urls, planner.nav(), site_feeds,
                planner.index_links(), wanted)
    # The planner lives on in the article pages (their context is made by its methods): let go of
    # what only planning needs. The claimed output paths alone are about 200 MB at a million.
    planner.claimed, planner.pages, planner.listed = {}, [], []
    return plan, planner.diagnostics


__all__ = ["FeedLink", "Link", "Page", "Pager", "Plan", "plan_site"]
