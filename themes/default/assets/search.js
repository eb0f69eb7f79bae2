// policybook search: the index is built at build time and split into small files
// under search/ that load on demand as <script>s (so it works from file:// too):
// meta.js (shard list), t-<prefix>.js (term → postings), d-<n>.js (documents).
(function () {
  'use strict';
  var html = document.documentElement;
  var root = html.getAttribute('data-root') || '';
  // Stop words and suffix rules come from search.rs (search/words.js, loaded first).
  var WORDS = window.pbWords || { stop: [], suffixes: [] };
  var STOP = WORDS.stop;
  var LIMIT = 30;

  // As search.rs: alphanumeric runs of 2–40 chars, lower-case, stop words out, light stemming.
  function ends(w, s) { return w.length >= s.length && w.slice(w.length - s.length) === s; }
  function stem(w) {
    var rules = WORDS.suffixes;
    for (var i = 0; i < rules.length; i++) {
      var suffix = rules[i][0], longer = rules[i][1], keep = rules[i][2];
      if (w.length > longer && ends(w, suffix)) {
        return keep.some(function (k) { return ends(w, k); }) ? w : w.slice(0, -suffix.length);
      }
    }
    return w;
  }
  function terms(text) {
    var out = [];
    (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).forEach(function (w) {
      var n = Array.from(w).length;
      if (n >= 2 && n <= 40 && STOP.indexOf(w) < 0) { var s = stem(w); if (out.indexOf(s) < 0) out.push(s); }
    });
    return out;
  }
  window.pbTerms = terms;
  function shardKey(t) {
    return Array.from(t).slice(0, 2).map(function (c) {
      return /[a-z0-9]/.test(c) ? c : '_' + c.codePointAt(0).toString(16);
    }).join('');
  }

  var S = { info: null, shards: {}, chunks: {} };
  window.pbSearch = {
    meta: function (m) { S.info = m; },
    shard: function (k, o) { S.shards[k] = o; },
    docs: function (n, a) { S.chunks[n] = a; }
  };
  var loading = {};
  function load(file) {
    if (!loading[file]) {
      loading[file] = new Promise(function (resolve) {
        var s = document.createElement('script');
        s.src = root + 'search/' + file;
        s.onload = s.onerror = function () { resolve(); };
        document.head.appendChild(s);
      });
    }
    return loading[file];
  }
  function decode(p) {
    var out = [], doc = 0;
    p.split(',').forEach(function (e) {
      var last = e.charCodeAt(e.length - 1), w = 1;
      if (last >= 65 && last <= 90) { w = last - 63; e = e.slice(0, -1); }
      doc += parseInt(e, 36);
      out.push([doc, w]);
    });
    return out;
  }

  function query(q) {
    var words = terms(q);
    if (!words.length) return Promise.resolve({ words: words, hits: [] });
    return load('meta.js').then(function () {
      var info = S.info;
      if (!info) return { words: words, hits: [] };
      var keys = [];
      words.forEach(function (w) { var k = shardKey(w); if (info.shards.indexOf(k) >= 0 && keys.indexOf(k) < 0) keys.push(k); });
      return Promise.all(keys.map(function (k) { return load('t-' + k + '.js'); })).then(function () {
        var perWord = words.map(function (w) {
          var shard = S.shards[shardKey(w)] || {}, scores = new Map();
          Object.keys(shard).forEach(function (term) {
            if (term.lastIndexOf(w, 0) !== 0) return;
            var plist = decode(shard[term]);
            var idf = Math.log(1 + info.docs / plist.length);
            var factor = term === w ? 1 : 0.6;
            plist.forEach(function (e) {
              var s = e[1] * idf * factor;
              if (!(scores.get(e[0]) >= s)) scores.set(e[0], s);
            });
          });
          return scores;
        });
        var total = new Map();
        perWord[0].forEach(function (s, d) {
          var sum = s;
          for (var i = 1; i < perWord.length; i++) {
            var o = perWord[i].get(d);
            if (o === undefined) return;
            sum += o;
          }
          total.set(d, sum);
        });
        if (!total.size) {
          perWord.forEach(function (m) { m.forEach(function (s, d) { total.set(d, (total.get(d) || 0) + s); }); });
        }
        var hits = Array.from(total.entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; }).slice(0, (S.info && S.info.limit) || LIMIT);
        var chunks = [];
        hits.forEach(function (h) { var c = Math.floor(h[0] / info.chunk); if (chunks.indexOf(c) < 0) chunks.push(c); });
        return Promise.all(chunks.map(function (c) { return load('d-' + c + '.js'); })).then(function () {
          return {
            words: words,
            total: total.size,
            hits: hits.map(function (h) { var c = S.chunks[Math.floor(h[0] / info.chunk)]; return c && c[h[0] % info.chunk]; }).filter(Boolean)
          };
        });
      });
    });
  }

  function esc(s) { return s.replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
  function wordRe(words) {
    return new RegExp('(^|[^\\p{L}\\p{N}])((?:' + words.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }).join('|') + ')[\\p{L}\\p{N}]*)', 'giu');
  }
  function snippet(text, words) {
    var re = wordRe(words), m = re.exec(text), start = 0;
    if (m) start = Math.max(0, m.index - 60);
    if (start > 0) { var sp = text.indexOf(' ', start); if (sp > 0 && sp < m.index + 1) start = sp + 1; }
    var part = text.slice(start, start + 220);
    var out = '', last = 0;
    re = wordRe(words);
    while ((m = re.exec(part))) {
      var s = m.index + m[1].length;
      out += esc(part.slice(last, s)) + '<mark>' + esc(m[2]) + '</mark>';
      last = s + m[2].length;
    }
    out += esc(part.slice(last));
    return (start > 0 ? '… ' : '') + out + (start + 220 < text.length ? ' …' : '');
  }
  function link(url, words) {
    var hash = url.indexOf('#'), base = hash < 0 ? url : url.slice(0, hash), frag = hash < 0 ? '' : url.slice(hash);
    return root + base + '?highlight=' + encodeURIComponent(words.join(' ')) + frag;
  }

  var box = document.getElementById('pb-search');
  var input = document.getElementById('pb-search-input');
  var list = document.getElementById('pb-search-results');
  var status = document.getElementById('pb-search-status');
  if (!box || !input) return;
  var selected = -1, seq = 0, timer = null;

  function open(text) {
    box.hidden = false;
    if (typeof text === 'string') input.value = text;
    input.focus();
    if (input.value) run();
  }
  function close() { box.hidden = true; }
  function select(i) {
    var items = list.children;
    if (!items.length) return;
    selected = (i + items.length) % items.length;
    for (var j = 0; j < items.length; j++) items[j].className = j === selected ? 'selected' : '';
    items[selected].scrollIntoView({ block: 'nearest' });
  }
  function run() {
    var q = input.value, mine = ++seq;
    query(q).then(function (r) {
      if (mine !== seq) return;
      list.innerHTML = '';
      selected = -1;
      if (!r.words.length) { status.textContent = ''; return; }
      status.textContent = r.hits.length ? (r.total > r.hits.length ? 'Top ' + r.hits.length + ' of ' + r.total + ' results' : r.hits.length + ' result' + (r.hits.length === 1 ? '' : 's')) : 'No results for “' + q + '”';
      r.hits.forEach(function (d) {
        var li = document.createElement('li');
        li.innerHTML = '<a href="' + esc(link(d[0], r.words)) + '">' + esc(d[1]) + '</a>' +
          (d[2] ? '<span class="crumb">' + esc(d[2]) + '</span>' : '') +
          '<p class="teaser">' + snippet(d[3], r.words) + '</p>';
        list.appendChild(li);
      });
    });
  }
  input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(run, 80); });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown') { e.preventDefault(); select(selected + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); select(selected - 1); }
    else if (e.key === 'Enter') {
      var item = list.children[selected < 0 ? 0 : selected];
      if (item) { e.preventDefault(); window.location.href = item.querySelector('a').href; }
    } else if (e.key === 'Escape') { close(); }
  });
  var btn = document.getElementById('pb-search-toggle');
  if (btn) btn.addEventListener('click', function () { if (box.hidden) open(); else close(); });
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    if (e.key === '/' || e.key === 's' || e.key === 'S') { e.preventDefault(); open(); }
    else if (e.key === 'Escape' && !box.hidden) close();
  });
  var initial = new URLSearchParams(window.location.search).get('search');
  if (initial) open(initial);
})();
