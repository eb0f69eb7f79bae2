#!/usr/bin/env python3
"""Builds an mdBook book with both `mdbook build` and `policybook build --root`
and compares what a reader gets (issue 12's check, run by hand on real books).

usage: compare_books.py BOOK_DIR [--mdbook PATH] [--policybook PATH] [--keep DIR]
        [--drop-preprocessor NAME ...] [--show N]

The book is copied to a temp folder for each tool (the sources are never
touched); `--drop-preprocessor` removes `[preprocessor.NAME]` from both copies'
book.toml (for preprocessors we do not have). Reported: exit codes and warning
counts, pages only one tool wrote (redirect pages included), broken internal
links in our pages, per page heading-id differences, per page main-content text
similarity (text of `<main>`, tags stripped, whitespace and typographic quotes
normalised, our code-block buttons and mdBook's header anchors ignored) and
any `{{#` left in our pages. Exit 0 always; the numbers are the result.
"""

import argparse
import difflib
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u2026": "..."})
# Page furniture that is not content: our code-block buttons, the alert icon
# labels, mdBook's playground buttons.
SKIP_CLASSES = {"page-footer", "pb-code-tools", "buttons", "fa", "clip-button", "pb-copy", "pb-hidden-toggle"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_main = 0
        self.skip = 0
        self.text = []
        self.ids = []
        self.links = []
        self.all_ids = set()
        self.redirect = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.all_ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.all_ids.add(a["name"])
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            self.redirect = a.get("content")
        if tag == "main":
            self.in_main += 1
        if not self.in_main:
            return
        classes = set((a.get("class") or "").split())
        if self.skip or tag in ("button", "script", "style", "svg", "footer") or classes & SKIP_CLASSES:
            if tag not in ("br", "img", "input", "hr", "meta", "link", "wbr"):
                self.skip += 1
            return
        if re.fullmatch(r"h[1-6]", tag) and a.get("id"):
            self.ids.append(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = max(0, self.in_main - 1)
            return
        if self.in_main and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.in_main and not self.skip:
            self.text.append(data)


def norm(text):
    return " ".join(text.translate(QUOTES).split())


def parse(path):
    p = Page()
    with open(path, encoding="utf-8", errors="replace") as f:
        raw = f.read()
    p.feed(raw)
    p.raw = raw
    return p


def copy_book(repo, rel, dst, drop):
    shutil.copytree(repo, dst, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    # A stand-in for the repository's .git folder, so includes may reach it.
    os.makedirs(os.path.join(dst, ".git"), exist_ok=True)
    shutil.rmtree(os.path.join(dst, rel, "book"), ignore_errors=True)
    toml = os.path.join(dst, rel, "book.toml")
    text = open(toml, encoding="utf-8").read()
    for name in drop:
        # Remove the [preprocessor.NAME] table up to the next table header.
        text = re.sub(r"(?ms)^\[preprocessor\.%s\]\n.*?(?=^\[|\Z)" % re.escape(name), "", text)
    open(toml, "w", encoding="utf-8").write(text)


def html_pages(root):
    pages = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".html"):
                rel = os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
                pages[rel] = os.path.join(d, f)
    return pages


# Files each tool writes for itself, not pages of the book.
OURS_ONLY = {"toc.html", "search.html"}
THEIRS_ONLY = {"toc.html"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("book")
    ap.add_argument("--mdbook", default=os.path.expanduser("~/.cargo/bin/mdbook"))
    ap.add_argument("--policybook", default="policybook")
    ap.add_argument("--keep")
    ap.add_argument("--repo", help="folder holding the book (copied whole); default the book")
    ap.add_argument("--drop-preprocessor", action="append", default=[])
    ap.add_argument("--show", type=int, default=5)
    args = ap.parse_args()

    work = args.keep or tempfile.mkdtemp(prefix="cmpbook-")
    book = os.path.abspath(args.book)
    repo = os.path.abspath(args.repo or args.book)
    rel = os.path.relpath(book, repo)
    # Keep the book's place inside its repository (includes may reach ../).
    results = {}
    for tool in ("mdbook", "ours"):
        dst = os.path.join(work, tool)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        copy_book(repo, rel, dst, args.drop_preprocessor)
        root = os.path.normpath(os.path.join(dst, rel))
        out = os.path.join(root, "book")
        if tool == "mdbook":
            cmd = [args.mdbook, "build", root]
        else:
            cmd = [args.policybook, "build", "--root", root]
        r = subprocess.run(cmd, capture_output=True, text=True)
        warns = [l for l in (r.stderr + r.stdout).splitlines() if re.search(r"warn", l, re.I)]
        results[tool] = (r.returncode, warns, out, r.stderr)
        print(f"{tool}: exit {r.returncode}, {len(warns)} warning line(s)")
        if r.returncode != 0:
            print(r.stderr[-3000:])
    if results["ours"][0] != 0 or results["mdbook"][0] != 0:
        return 0
    # An mdBook book builds into book/, or book/html with several renderers.
    theirs_dir, ours_dir = results["mdbook"][2], results["ours"][2]
    if os.path.isdir(os.path.join(theirs_dir, "html")):
        theirs_dir = os.path.join(theirs_dir, "html")
    theirs, ours = html_pages(theirs_dir), html_pages(ours_dir)
    t_set = set(theirs) - THEIRS_ONLY - {"404.html"}
    o_set = set(ours) - OURS_ONLY - {"404.html"}
    # mdBook writes themes' own pages under theme/ etc.; compare book pages only.
    t_set = {p for p in t_set if not p.startswith(("theme/", "FontAwesome/", "fonts/"))}
    o_set = {p for p in o_set if not p.startswith(("theme/", "assets/", "_"))}
    only_t, only_o = sorted(t_set - o_set), sorted(o_set - t_set)
    print(f"pages: mdbook {len(t_set)}, ours {len(o_set)}; only mdbook {len(only_t)}, only ours {len(only_o)}")
    for p in only_t[: args.show]:
        print("  only mdbook:", p)
    for p in only_o[: args.show]:
        print("  only ours:", p)

    parsed = {p: parse(ours[p]) for p in o_set}
    broken = []
    for p, page in parsed.items():
        for href in page.links:
            if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith("//"):
                continue
            path, _, frag = href.partition("#")
            path = html.unescape(path).split("?")[0]
            if path:
                target = os.path.normpath(os.path.join(os.path.dirname(p), path)).replace(os.sep, "/")
                if target.startswith(".."):
                    continue  # leaves the site: external, as in mdBook
                if target.endswith("/"):
                    target += "index.html"
            else:
                target = p
            full = os.path.join(ours_dir, target)
            if os.path.isdir(full):
                target = target.rstrip("/") + "/index.html"
                full = os.path.join(ours_dir, target)
            if not os.path.isfile(full):
                broken.append((p, href))
                continue
            if frag and target in parsed and frag not in parsed[target].all_ids:
                broken.append((p, href))
    print(f"broken internal links in ours: {len(broken)}")
    for b in broken[: args.show]:
        print("  ", b)

    common = sorted(t_set & o_set)
    id_diff, text_diff, leftovers = [], [], []
    for p in common:
        t, o = parse(theirs[p]), parsed[p]
        if t.redirect or o.redirect:
            continue
        if t.ids != o.ids:
            id_diff.append((p, t.ids, o.ids))
        tt, ot = norm("".join(t.text)), norm("".join(o.text))
        if tt != ot:
            ratio = difflib.SequenceMatcher(None, tt, ot, autojunk=False).ratio() if len(tt) + len(ot) < 40000 else 0.0
            text_diff.append((p, ratio, tt, ot))
    for p in sorted(o_set):
        if "{{#" in parsed[p].raw:
            leftovers.append(p)
    n = len([p for p in common if not (parse(theirs[p]).redirect)])
    same = n - len(text_diff)
    print(f"heading ids differ on {len(id_diff)} of {n} page(s)")
    for p, a, b in id_diff[: args.show]:
        print(f"  {p}: mdbook-only {[x for x in a if x not in b][:5]} ours-only {[x for x in b if x not in a][:5]}")
    pct = 100.0 * same / n if n else 100.0
    print(f"main text identical on {same} of {n} page(s) ({pct:.1f}%)")
    for p, ratio, tt, ot in sorted(text_diff, key=lambda x: x[1])[: args.show]:
        sm = difflib.SequenceMatcher(None, tt, ot, autojunk=False)
        ops = [op for op in sm.get_opcodes() if op[0] != "equal"][:2]
        print(f"  {p} ({ratio:.3f})")
        for tag, a1, a2, b1, b2 in ops:
            print(f"     {tag}: mdbook {tt[max(0,a1-30):a2+30]!r}")
            print(f"     {' '*len(tag)}  ours   {ot[max(0,b1-30):b2+30]!r}")
    print(f"pages with {{{{# left in ours: {len(leftovers)}")
    for p in leftovers[: args.show]:
        print("  ", p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
