"""The Jinja environment and the turning of page plans into bytes.

Templates come from the site's ``templates/`` first, then the default theme, file by
file. ``StrictUndefined`` makes a misspelt variable an error rather than a blank.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
import markupsafe
from markupsafe import Markup

from sitegen.bodies import NO_BODIES, BodyStore
from sitegen.config import Config
from sitegen.errors import TemplateFailure, error
from sitegen.i18n import Messages, load_messages
from sitegen.indexes import Story, Term
from sitegen.model import Article
from sitegen.plan import Page, Plan, meta
from sitegen.themes import TEMPLATE_SUFFIXES, template_folders


MESSAGES_KEPT = 20_000  # messages kept by their arguments; bounded, as titles and names make many
PARTIALS_KEPT = 20_000  # cached() partials kept by their values; bounded the same way
ROWS_KEPT = 50_000      # listing rows kept (about 1 KB each): a million articles' rows would fill a worker
URLS_KEPT = 100_000     # url_for results kept: one per article and path, bounded the same way
DATES_KEPT = 100_000    # date filter results kept: a few per article, bounded the same way
TERM_NAMES = frozenset(("kind", "slug", "name"))  # what names a term; anything else of it is read from its members
TERM_NAME = "_sitegen_Term"  # the Term class in compiled templates' globals
ESCAPE_TEXT_NAME = "_sitegen_escape_text"  # MarkupSafe's escaping of a str, in compiled templates' globals


def render_order(pages: Sequence[Page]) -> list[Page]:
    """``pages`` in the order they render best: the pages that show a window of articles (every
    listing, of any list) after the others, by their newest article, so that the pages showing an
    article's row come close together and its row, rendered once, is still kept (ROWS_KEPT, all
    dropped when full) when the next one asks. In the plan's order (list by list) a row was asked
    again only after a whole list had gone by; past ROWS_KEPT rows (a row per article, heading
    level and whether the section is shown: about three an article, so past about 17,000
    articles) every list rendered its rows again: at 100,000 articles the pages stage took 26.5 s,
    22.6 s with ten times the rows kept, 22.2 to 22.9 s in this order. The rest keep their order,
    in front, the article pages at their head: the build's own process renders from the front
    while a worker takes the listings from the back (see write._render_pages). Only the order of
    rendering changes; the pages and their bytes are the same."""
    listings: list[tuple[tuple, Page]] = []
    others: list[Page] = []
    for page in pages:
        shown = page.context.get("articles") if page.produce is None else None
        if shown and type(shown[0]) is Article:
            listings.append((shown[0].sort_key, page))
        else:
            others.append(page)
    listings.sort(key=lambda item: item[0])  # (stable: pages of one newest article keep the plan's order)
    return [*others, *(page for _, page in listings)]


class SiteView:
    """What templates see as ``site``."""

    def __init__(self, config: Config, build_time: datetime):
        self.title = config.title
        self.description = config.description
        self.language = config.language
        self.base_url = config.base_url if config.base_url.endswith("/") else config.base_url + "/"
        self.timezone = config.timezone
        self.build_time = build_time
        self.search = config.search


class PageView:
    """What templates see as ``page``: its title and URLs (final, under the base path)."""

    def __init__(self, page: Page, context: dict[str, Any], url_for: Callable[[Any], str], origin: str):
        self.title, self.description, self.path = page.title, page.description, page.url
        self.url = url_for(page.url)
        self.canonical = origin + self.url
        pager = page.pager
        self.prev_url = url_for(pager.prev_url) if pager and pager.prev_url else None
        self.next_url = url_for(pager.next_url) if pager and pager.next_url else None
        self.feeds = context.get("feeds", ())  # this page's own feeds (a section's), besides the site's
        self.structured_data = context.get("structured_data", ())


def script_json(value: Any) -> Markup:
    """Structured data as markup for a ``<script>`` element (see plan.meta.script_json)."""
    return Markup(meta.script_json(value))


def _kept(memo: dict, bound: int, key: Any, make: Callable[..., Any], /, *args: Any, **values: Any) -> Any:
    """``make(*args, **values)``, kept in ``memo`` by ``key`` for the rest of the build: up to
    ``bound`` keys, then all are dropped (titles and names make many). Made each time when the key
    cannot be hashed (a value that is a dict)."""
    try:
        made = memo.get(key)
    except TypeError:
        return make(*args, **values)
    if made is None:
        if len(memo) >= bound:
            memo.clear()
        made = memo[key] = make(*args, **values)
    return made


def _frozen(value: Any) -> Any:
    """A value as part of a key: a list as a tuple (and so on inside it); markup apart from the
    equal text, which is escaped when shown; an article, term or story by what names it in this
    build (its path, kind and slug; its slug), as hashing the whole of one is slow (a story's
    articles) and a renderer lives for one build."""
    kind = type(value)
    if kind is list or kind is tuple:
        return tuple(map(_frozen, value))
    if kind is Article:
        return (Article, value.path)
    if kind is Term:
        return (Term, value.kind, value.slug)
    if kind is Story:
        return (Story, value.slug)
    return (Markup, str(value)) if isinstance(value, Markup) else value


_escape_text = getattr(markupsafe, "_escape_inner", None)  # MarkupSafe 3's C escaping of a str


def _escape(value: Any) -> Markup:
    """``markupsafe.escape``, the same bytes, without its Python-level ``Markup.__new__`` for a plain
    string or its copy of markup: a page escapes about 170 values, a tenth of its rendering."""
    kind = type(value)
    if kind is str and _escape_text is not None:
        return str.__new__(Markup, _escape_text(value))
    if kind is Markup:
        return value
    return markupsafe.escape(value)


class _Template(jinja2.Template):
    """A compiled template whose ``{{ }}`` output is escaped by ``_escape``."""

    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: Any, globals: Any) -> jinja2.Template:
        if namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        namespace[TERM_NAME] = Term  # (see _CodeGenerator.visit_Getattr)
        namespace[ESCAPE_TEXT_NAME] = _escape_text  # (see _CodeGenerator._output_child_pre)
        return super()._from_namespace(environment, namespace, globals)  # type: ignore[misc]


class _Context(jinja2.runtime.Context):
    """Jinja's context, but a call of one of the renderer's own functions (``url_for``, ``_``,
    ``row``, ``cached``: most calls on a page) skips Jinja's look for a context argument, which
    took a tenth of rendering; any other callable is called as Jinja does."""

    @jinja2.utils.internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (as Jinja)
        try:
            plain = __obj in __self.environment.plain_calls  # type: ignore[attr-defined]
        except TypeError:  # an unhashable callable object
            plain = False
        if not plain:
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_loop_vars", None)
        kwargs.pop("_block_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined("value was undefined because a callable raised a StopIteration exception")


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, writing leaner Python for the three things a page does most (an
    article page: about 35 calls, 100 attribute reads and 90 outputs): a call of one of the
    renderer's own functions made directly (visit_Call), ``x.name`` read by Python's getattr in
    line (visit_Getattr), a string output escaped in line (_output_child_pre). Each gives what
    Jinja's code gives, value or error (see tests/test_render.py); anything else is Jinja's."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._outputs: list[str] = []  # the temporaries of the outputs being written (see _output_child_pre)

    @jinja2.compiler.optimizeconst
    def visit_Call(self, node: jinja2.nodes.Call, frame: jinja2.compiler.Frame, forward_caller: bool = False) -> None:
        """A call of a name with plain arguments (``url_for(article)``, ``_("Related")``) calls the
        function itself when it is one of the renderer's own (``plain_ids``, see _Context), and
        through ``context.call`` as Jinja does otherwise: ``(t(a) if id(t := f) in
        environment.plain_ids else context.call(t, a))``, the name read once, into a temporary."""
        if (node.dyn_args or node.dyn_kwargs or forward_caller or self.environment.is_async or self.environment.sandboxed
                or not isinstance(node.node, jinja2.nodes.Name)
                or any(jinja2.compiler.is_python_keyword(kwarg.key) for kwarg in node.kwargs)):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        called = self.temporary_identifier()
        self.write(f"({called}(")
        for i, arg in enumerate([*node.args, *node.kwargs]):
            if i:
                self.write(", ")
            self.visit(arg, frame)
        self.write(f") if id({called} := ")
        self.visit(node.node, frame)
        self.write(f") in environment.plain_ids else context.call({called}")
        extra = {"_loop_vars": "_loop_vars"} if frame.loop_frame else {}
        if frame.block_frame:
            extra["_block_vars"] = "_block_vars"
        self.signature(node, frame, extra or None)
        self.write("))")

    def _output_child_pre(self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame, finalize: Any) -> None:
        """``{{ x }}`` written out as ``(escape_text(t) if type(t := x) is str else escape(t))``: a
        string escaped by MarkupSafe's C code in line, for output only (joined into the page,
        never read as markup), without a call of ``_escape`` and a Markup made of each. Anything
        else, and any other way of writing, as Jinja does."""
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape or finalize.src is not None or _escape_text is None:
            self._outputs.append("")
            super()._output_child_pre(node, frame, finalize)
            return
        value = self.temporary_identifier()
        self._outputs.append(value)
        self.write(f"({ESCAPE_TEXT_NAME}({value}) if type({value} := ")

    def _output_child_post(self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame, finalize: Any) -> None:
        value = self._outputs.pop()
        if not value:
            super()._output_child_post(node, frame, finalize)
            return
        self.write(f") is str else escape({value}))")

    @jinja2.compiler.optimizeconst
    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: jinja2.compiler.Frame) -> None:
        """``x.name`` read by Python's getattr in line, and by ``environment.getattr`` (see
        _Environment) only where that finds nothing or has more to do (a term's members, an
        article's body): ``(v if (v := getattr(t := x, 'name', missing)) is not missing and type(t)
        is not Term else environment.getattr(t, 'name'))``, the same value or error as Jinja's,
        for Jinja's tries Python's getattr first too. About 100 a page, each a call less."""
        if self.environment.is_async or self.environment.sandboxed or node.attr == "body_html":
            super().visit_Getattr(node, frame)
            return
        owner, value = self.temporary_identifier(), self.temporary_identifier()
        self.write(f"({value} if ({value} := getattr({owner} := ")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r}, missing)) is not missing and type({owner}) is not {TERM_NAME} "
                   f"else environment.getattr({owner}, {node.attr!r}))")


class _Environment(jinja2.Environment):
    """Jinja's environment, but an article's ``body_html`` comes from the body store when the
    article does not hold it: any template (a listing of whole articles too) reads it as it is.
    ``plain_calls``: the functions templates call that take no context (see _Context).

    ``members_read`` notes that the page being rendered read more of a section, tag, author or
    source than its name (its count, its articles): a page that read only names is keyed by
    the names of the groups it shows, not by their members (see Renderer.names_only)."""

    bodies: BodyStore = NO_BODIES
    plain_calls: frozenset[Callable[..., Any]] = frozenset()
    plain_ids: frozenset[int] = frozenset()  # the ids of plain_calls' functions as templates see them (see _CodeGenerator)
    members_read = False
    context_class = _Context
    code_generator_class = _CodeGenerator
    template_class = _Template

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._loaded: dict[str, jinja2.Template] = {}

    def make_globals(self, d: Any) -> dict[str, Any]:
        """A template's globals as one plain dict, not Jinja's ChainMap over the environment's: every
        render and include copies them, and a ChainMap is iterated in Python (a tenth of rendering
        a listing). The renderer sets all globals before it loads a template, so none is missed."""
        return {**self.globals, **(d or {})}

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        """Each template once, from a plain dict: Jinja's LRU cache (a lock and a reorder on every
        look-up, for each page and each include) took 2% of rendering. Only without reloading."""
        if globals or self.auto_reload:
            return super()._load_template(name, globals)
        made = self._loaded.get(name)
        if made is None:
            made = self._loaded[name] = super()._load_template(name, globals)
        return made

    def getattr(self, obj: Any, attribute: str) -> Any:
        kind = type(obj)
        if kind is Article:
            if attribute == "body_html":
                return self.bodies.html(obj)
        elif kind is Term and attribute not in TERM_NAMES:
            self.members_read = True
        try:  # as jinja2.Environment.getattr, inlined: it runs for every attribute of every page
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """As Jinja's (``term["count"]``, and the ``attribute=`` of filters such as ``map``,
        ``sort`` and ``selectattr``), noting a term's members read as ``getattr`` does."""
        if type(obj) is Term and argument not in TERM_NAMES:
            self.members_read = True
        return super().getitem(obj, argument)


def compiled_templates(folder: Path) -> jinja2.BytecodeCache:
    """Jinja's cache of compiled templates, in a subfolder of ``folder`` named for this module
    and Jinja's version: it knows each template's source, not the environment's settings, so code
    that may set them differently starts an empty one (and removes the others)."""
    tag = hashlib.blake2b(Path(__file__).read_bytes() + jinja2.__version__.encode(), digest_size=6).hexdigest()
    here = folder / f"templates-{tag}"
    if not here.is_dir():
        for stale in folder.glob("templates-*"):
            shutil.rmtree(stale, ignore_errors=True)
        here.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(here))


FILTERS = ("date", "number", "language_list", "isodate", "jsonld")  # the filters a Renderer adds to Jinja's


def _environment(folders: Sequence[Path], compiled: Path | None) -> _Environment:
    """The Jinja environment of a Renderer (without its filters and globals), over ``folders``;
    ``compiled``: see Renderer."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder) for folder in folders])
    # auto_reload off: a build reads each template once (serve makes a new Renderer per build),
    # instead of a stat() of every included template on every page.
    return _Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                        auto_reload=False, bytecode_cache=compiled_templates(compiled) if compiled else None)


def compile_templates(folders: Sequence[Path], compiled: Path) -> int:
    """Compile every template of ``folders`` into the bytecode cache in ``compiled``, as a
    Renderer's environment compiles it, so that each render process loads the compiled code
    instead of compiling it again (0.17 s for the default theme, in each process). Compiled code
    looks filters up by name when it runs, so their names are all it needs of them. Returns how
    many compiled; one that does not is left to the render, which reports where it fails."""
    env = _environment(folders, compiled)
    env.filters.update(dict.fromkeys(FILTERS, str))
    for left in Path(env.bytecode_cache.directory).glob("*.tmp"):  # type: ignore[union-attr]
        if left.stat().st_mtime < time.time() - 600:  # a write cut short: such a child was ended (see Forked.stop)
            left.unlink(missing_ok=True)
    done = 0
    for name in env.list_templates(filter_func=lambda name: name.endswith(TEMPLATE_SUFFIXES)):
        try:
            env.get_template(name)
        except Exception:  # (a syntax error, an unknown filter: the render says so, with its line)
            continue
        done += 1
    return done


class Renderer:
    def __init__(self, site: Path, config: Config, plan: Plan, build_time: datetime,
                 assets: dict[str, str] | None = None, messages: Messages | None = None,
                 bodies: BodyStore = NO_BODIES, compiled: Path | None = None):
        """``compiled``: a folder that keeps the templates' compiled code between builds (Jinja's
        bytecode cache, by each template's source), so a rebuild does not compile them again."""
        self.site = site.resolve()
        self.assets = assets or {}  # '/css/site.css' -> '/css/site.3f2a9c1b.css': names with a content hash
        self.config = config
        self.zone = config.zone
        self.urls = plan.urls
        self.scheme = plan.scheme
        self.base_path = config.base_path
        self.origin = config.base_url[: len(config.base_url) - len(self.base_path) + 1].rstrip("/")
        self.template_folders = template_folders(site)
        self.env = _environment(self.template_folders, compiled)
        self.env.bodies = bodies
        self.messages = messages or load_messages(None, config)[0]  # words and dates in the site's language
        self.env.filters["date"] = self.date
        self.env.filters["number"] = self.messages.number
        self.env.filters["language_list"] = self.messages.join
        self.env.globals.update({"_": self.message, "month_names": self.messages.month_names,
                                 "month_year": self.messages.month_year})
        self.env.filters["isodate"] = self.isodate
        self.env.filters["jsonld"] = self.jsonld
        self.env.globals.update(site=SiteView(config, build_time), url_for=self.url_for, nav=list(plan.nav),
                                index_links=list(plan.indexes), absolute_url=self.absolute_url,
                                site_feeds=list(plan.feeds), row=self.row, cached=self.cached,
                                nav_paths=frozenset(item.url for item in plan.nav),
                                index_paths=frozenset(item.url for item in plan.indexes))
        plain = ("_", "url_for", "row", "cached", "absolute_url", "month_names", "month_year")
        self.env.plain_calls = frozenset(self.env.globals[name] for name in plain)
        # the very objects in the globals (each reading of self.url_for makes another): held by plain_calls
        self.env.plain_ids = frozenset(id(self.env.globals[name]) for name in plain)
        self._rows: dict[tuple[str, int, bool], tuple[Markup, bool]] = {}  # (see _partial)
        self._partials: dict[tuple, tuple[Markup, bool]] = {}  # cached() partials by their name and values
        self._messages: dict[tuple, Markup] = {}  # messages by their arguments
        self._urls: dict[Any, str] = {}      # url_for of site paths, terms and stories (see _frozen)
        self._article_urls: dict[str, str] = {}  # url_for of articles, by their paths
        self._dates: dict[tuple, str] = {}   # the date filters' results by type, value and format

    def message(self, msgid: str, count: int | None = None, **values: Any) -> Markup:
        """Templates' ``_()``: a message of the site's language (see i18n.Messages.markup). Kept by
        its arguments: most repeat on page after page ('4 min read', the footer's date). A value's
        type is part of the key: Markup('<b>') is not '<b>'."""
        key = (msgid, count, *((name, type(value), value) for name, value in values.items())) if values else (msgid, count)
        try:
            return self._messages[key]
        except (KeyError, TypeError):
            return _kept(self._messages, MESSAGES_KEPT, key, self.messages.markup, msgid, count, **values)

    def date(self, value: Any, fmt: str = "medium") -> str:
        """The ``date`` filter (see i18n.Messages.date), in the site's zone. Kept by its arguments:
        an article's date is shown on its page and in every list of it, and formatting one took
        a seventh of rendering an article page. The type is part of the key (a date is not the
        datetime of its midnight); equal instants in any zone show the same in the site's zone.
        Looked up here before ``_kept`` is called: the filters run about 15 times a page."""
        key = (type(value), value, fmt)
        try:
            return self._dates[key]
        except (KeyError, TypeError):
            return _kept(self._dates, DATES_KEPT, key, self.messages.date, value, fmt, self.zone)

    def isodate(self, value: Any) -> str:
        """The ``isodate`` filter: ISO 8601, a datetime in the site's zone (kept as ``date``)."""
        key = (type(value), value, None)
        try:
            return self._dates[key]
        except (KeyError, TypeError):
            return _kept(self._dates, DATES_KEPT, key, self._isodate, value)

    def _isodate(self, value: Any) -> str:
        return (value.astimezone(self.zone) if isinstance(value, datetime) else value).isoformat()

    def url_for(self, target: Any) -> str:
        """The URL of an article or a site path, under the site's base path. Kept: a site path by
        itself, an article by its path (``_article_urls``: looked up without making a key, about
        20 times a page), a term or story by what names it (see _frozen)."""
        kind = type(target)
        if kind is Article:
            made = self._article_urls.get(target.path)
            return made if made is not None else _kept(self._article_urls, URLS_KEPT, target.path, self._url_for, target)
        key = target if kind is str else _frozen(target) if kind in (Term, Story) else None
        if key is not None:
            return _kept(self._urls, URLS_KEPT, key, self._url_for, target)
        return self._url_for(target)

    def _url_for(self, target: Any) -> str:
        if isinstance(target, Article):
            target = self.urls[target.path]
        elif isinstance(target, Term):
            target = self.scheme.term(target.kind, target.slug)
        elif isinstance(target, Story):
            target = self.scheme.story(target.slug)
        target = str(target)
        if "://" in target or target.startswith(("mailto:", "#", "data:")):
            return target
        target = "/" + target.lstrip("/")
        return self.base_path + self.assets.get(target, target).lstrip("/")

    def jsonld(self, value: Any) -> Markup:
        """The ``jsonld`` filter: the plan's structured data made now (see plan.meta), or a dict
        (which may hold anything of a term: its members count as read)."""
        if isinstance(value, meta.Deferred):
            value = value.data(self.config, self.scheme)
        else:
            self.env.members_read = True
        return script_json(value)

    def row(self, article: Article, level: int = 2, show_section: bool = True) -> Markup:
        """An article's entry in listings (``partials/article_row.html``), rendered once per build and
        reused: an article is listed on a dozen pages (home, section, tags, author, dates, related)."""
        key = (article.path, level, show_section)
        made = self._rows.get(key)  # (looked up first: the partial's values are made only to render it)
        if made is None:
            made = _kept(self._rows, ROWS_KEPT, key, self._partial, "partials/article_row.html",
                         {"row": article, "row_level": level, "show_section": show_section})
        return self._read(made)

    def cached(self, name: str, **values: Any) -> Markup:
        """Templates' ``cached(name, **values)``, like Hugo's ``partialCached``: the partial ``name``
        rendered with only ``values`` (and the globals) once per build for each set of values, then
        reused. For the parts many pages repeat (the masthead, the footer, a year's month grid);
        the values (lists are taken as tuples) must be hashable and say everything the partial's
        bytes depend on."""
        key = (name, *((k, _frozen(v)) for k, v in sorted(values.items())))
        return self._read(_kept(self._partials, PARTIALS_KEPT, key, self._partial, name, values))

    def _partial(self, name: str, values: dict[str, Any]) -> tuple[Markup, bool]:
        """The partial, and whether it read a term's members (so does every page that shows it)."""
        env = self.env
        before, env.members_read = env.members_read, False
        try:
            made = Markup(env.get_template(name).render(values).rstrip("\n"))
            return made, env.members_read
        finally:
            env.members_read = before or env.members_read

    def _read(self, made: tuple[Markup, bool]) -> Markup:
        """A kept partial's markup, its reading of members counted for this page."""
        if made[1]:
            self.env.members_read = True
        return made[0]

    @property
    def names_only(self) -> bool:
        """Whether the page this process rendered last read nothing of the sections, tags,
        authors and sources it shows but their names (a feed or sitemap: never)."""
        return not self.env.members_read

    def absolute_url(self, target: Any) -> str:
        """``url_for``, made absolute with the origin of ``base_url`` (for feeds, Open Graph, JSON-LD)."""
        url = self.url_for(target)
        return url if "://" in url else self.origin + url

    def render(self, page: Page) -> bytes:
        if page.produce is not None:
            self.env.members_read = True  # (made by code, not templates: what it reads is not seen)
            return page.produce()
        self.env.members_read = False
        full = page.full_context()
        context = dict(full, page=PageView(page, full, self.url_for, self.origin))
        try:
            return self.env.get_template(page.template).render(context).encode("utf-8")
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateFailure(error(self._template_path(exc.name or page.template), exc.lineno or 1,
                                        f"template syntax error: {exc.message}")) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateFailure(error(page.source or page.url, 1, f"template not found: {exc.name}")) from None
        except Exception as exc:  # a template error at render time: point at the template line
            name, line = page.template, 1
            for frame in reversed(traceback.extract_tb(exc.__traceback__)):
                if frame.filename.endswith(TEMPLATE_SUFFIXES):
                    name, line = frame.filename, frame.lineno or 1
                    break
            raise TemplateFailure(error(self._template_path(name), line,
                                        f"{type(exc).__name__} while rendering {page.source or page.url}: {exc}")) from None

    def _template_path(self, name: str) -> str:
        """A template's file, relative to the site when it is the site's own."""
        path = Path(name)
        if not path.is_absolute():
            try:
                path = Path(self.env.loader.get_source(self.env, name)[1] or name)  # type: ignore[union-attr]
            except jinja2.TemplateNotFound:
                return name
        return path.relative_to(self.site).as_posix() if path.is_relative_to(self.site) else path.as_posix()
