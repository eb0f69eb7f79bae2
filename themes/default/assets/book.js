// policybook default theme: navigation, theme toggle, keyboard, search-term highlight.
(function () {
  'use strict';
  var html = document.documentElement;
  var root = html.getAttribute('data-root') || '';
  var path = html.getAttribute('data-path') || '';

  // Light/dark theme: follows prefers-color-scheme until toggled; the choice is remembered.
  var toggle = document.getElementById('pb-theme-toggle');
  if (toggle) {
    toggle.addEventListener('click', function () {
      var next = html.getAttribute('data-theme') === 'dark' ? 'light' : 'dark';
      html.setAttribute('data-theme', next);
      try { localStorage.setItem('pb-theme', next); } catch (e) { /* private mode */ }
    });
  }

  // Sidebar: one shared navigation (assets/toc.js) for every page, current page highlighted.
  var nav = document.getElementById('pb-sidebar');
  if (nav && typeof window.pbToc === 'string') {
    nav.innerHTML = window.pbToc;
    var active = null;
    var links = nav.querySelectorAll('a[href]');
    for (var i = 0; i < links.length; i++) {
      var a = links[i], href = a.getAttribute('href');
      if (href === path) { a.className = 'active'; a.setAttribute('aria-current', 'page'); active = a; }
      a.setAttribute('href', root + href);
    }
    // [output.html.fold]: the page being read is unfolded with its parents;
    // a toggle button folds or unfolds its chapter's sections.
    function setFold(li, open) {
      li.classList.toggle('expanded', open);
      var btn = li.querySelector(':scope > .chapter-fold-toggle');
      if (btn) btn.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
    for (var p = active && active.parentElement; p && p !== nav; p = p.parentElement) {
      if (p.classList.contains('pb-fold')) setFold(p, true);
    }
    nav.addEventListener('click', function (e) {
      var btn = e.target.closest ? e.target.closest('.chapter-fold-toggle') : null;
      if (btn) setFold(btn.parentElement, !btn.parentElement.classList.contains('expanded'));
    });
    if (active) {
      var top = active.offsetTop - nav.clientHeight / 3;
      if (top > 0) nav.scrollTop = top;
    }
  }
  var menu = document.getElementById('pb-menu');
  if (menu) {
    menu.addEventListener('click', function () {
      if (window.matchMedia('(max-width: 1000px)').matches) document.body.classList.toggle('sidebar-open');
      else document.body.classList.toggle('sidebar-hidden');
    });
  }

  // ←/→ go to the previous/next page.
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    var rel = e.key === 'ArrowLeft' ? 'prev' : e.key === 'ArrowRight' ? 'next' : null;
    if (!rel) return;
    var link = document.querySelector('.prev-next a[rel="' + rel + '"]');
    if (link) { e.preventDefault(); window.location.href = link.href; }
  });

  // ?highlight=words marks the search terms on the page (search results link here).
  var params = new URLSearchParams(window.location.search);
  var hl = params.get('highlight');
  var content = document.querySelector('main .page');
  if (hl && content && window.pbTerms) {
    var words = window.pbTerms(hl);
    if (words.length) markTerms(content, words);
  }
  function markTerms(el, words) {
    var re = new RegExp('(^|[^\\p{L}\\p{N}])((?:' + words.map(escapeRe).join('|') + ')[\\p{L}\\p{N}]*)', 'giu');
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, null);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (n) {
      var text = n.nodeValue;
      re.lastIndex = 0;
      if (!re.test(text)) return;
      re.lastIndex = 0;
      var frag = document.createDocumentFragment(), last = 0, m;
      while ((m = re.exec(text))) {
        var start = m.index + m[1].length;
        frag.appendChild(document.createTextNode(text.slice(last, start)));
        var mark = document.createElement('mark');
        mark.className = 'pb-hl';
        mark.textContent = m[2];
        frag.appendChild(mark);
        last = start + m[2].length;
      }
      frag.appendChild(document.createTextNode(text.slice(last)));
      n.parentNode.replaceChild(frag, n);
    });
  }
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
  // ---- Code blocks (mdBook-compatible): copy button and "show hidden lines" toggle.
  // Hidden lines are <span class="boring">; style.css hides them once this script
  // runs (html[data-theme] is set by the page's head script), so without script
  // every line stays readable. Nothing here talks to the network.
  var ICON = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">';
  var EYE = ICON + '<path d="M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z"/><circle cx="12" cy="12" r="3"/></svg>';
  var COPY = ICON + '<rect x="9" y="9" width="12" height="12" rx="2"/><path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1"/></svg>';
  var blocks = document.querySelectorAll('main pre > code');
  for (var b = 0; b < blocks.length; b++) addCodeButtons(blocks[b]);
  function addCodeButtons(code) {
    var pre = code.parentNode;
    var bar = document.createElement('div');
    bar.className = 'pb-code-buttons';
    if (code.querySelector('.boring')) {
      var eye = button('pb-code-toggle', 'Show hidden lines', EYE);
      eye.setAttribute('aria-pressed', 'false');
      eye.addEventListener('click', function () {
        var on = code.classList.toggle('pb-show-boring');
        eye.setAttribute('aria-pressed', on ? 'true' : 'false');
        var label = on ? 'Hide lines' : 'Show hidden lines';
        eye.setAttribute('aria-label', label);
        eye.title = label;
      });
      bar.appendChild(eye);
    }
    var copy = button('pb-code-copy', 'Copy to clipboard', COPY);
    copy.addEventListener('click', function () {
      var clone = code.cloneNode(true);
      if (!code.classList.contains('pb-show-boring')) {
        var hid = clone.querySelectorAll('.boring');
        for (var k = 0; k < hid.length; k++) hid[k].parentNode.removeChild(hid[k]);
      }
      var text = clone.textContent;
      var done = function () { copy.title = 'Copied'; copy.classList.add('pb-copied'); setTimeout(function () { copy.title = 'Copy to clipboard'; copy.classList.remove('pb-copied'); }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
      } else { fallbackCopy(text); done(); }
    });
    bar.appendChild(copy);
    pre.classList.add('pb-has-buttons');
    pre.insertBefore(bar, code);
  }
  function button(cls, label, svg) {
    var el = document.createElement('button');
    el.type = 'button';
    el.className = 'pb-code-button ' + cls;
    el.title = label;
    el.setAttribute('aria-label', label);
    el.innerHTML = svg;
    return el;
  }
  function fallbackCopy(text) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed'; ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    try { document.execCommand('copy'); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(ta);
  }
})();
