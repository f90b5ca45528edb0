/* townhall comment counts for index pages.
 *
 *   <a href="/story"><span data-townhall-count="story-key"></span></a>
 *   <script src="https://townhall.example/count.js" data-site="S" async></script>
 *
 * Fills every [data-townhall-count] with "N comments" using one request, in the
 * page's language (data-lang on the script, else <html lang>) when townhall has it.
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector('script[src$="/count.js"][data-site], script[src*="/count.js?"][data-site]');
  if (!script) return;
  var base = script.src.replace(/\/count\.js(\?.*)?$/, "");
  var site = script.dataset.site;
  var MAX_PER_REQUEST = 500;
  var lang = script.dataset.lang || document.documentElement.lang || "";
  // Named so makemessages finds the phrase for the catalog; here it only pairs the forms.
  function ngettext(singular, plural) { return [singular, plural]; }
  // [singular, plural] from townhall's catalog for this language; English until it comes.
  var forms = ngettext("%(count)s comment", "%(count)s comments");

  function label(n) {
    var one = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang || "en").select(n) === "one" : n === 1;
    return (one ? forms[0] : forms[1]).replace("%(count)s", String(n));
  }

  function catalog() {
    if (!lang || /^en\b/i.test(lang)) return Promise.resolve();
    return fetch(base + "/embed/jsi18n.json?lang=" + encodeURIComponent(lang), { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) {
        var found = data.catalog && data.catalog["%(count)s comment"];
        if (Array.isArray(found) && found.length >= 2) forms = [found[0], found[found.length - 1]];
      })
      .catch(function () { /* English it is */ });
  }

  function fill() {
    var nodes = document.querySelectorAll("[data-townhall-count]");
    var keys = [];
    nodes.forEach(function (el) {
      var key = el.getAttribute("data-townhall-count");
      if (key && keys.indexOf(key) < 0) keys.push(key);
    });
    if (!site || !keys.length) return;
    var strings = catalog();
    for (var i = 0; i < keys.length; i += MAX_PER_REQUEST) {
      var q = new URLSearchParams({ site: site });
      keys.slice(i, i + MAX_PER_REQUEST).forEach(function (k) { q.append("story", k); });
      var counts = fetch(base + "/api/v1/counts?" + q.toString(), { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : { counts: {} }; });
      Promise.all([counts, strings])
        .then(function (both) { return both[0]; })
        .then(function (data) {
          nodes.forEach(function (el) {
            var n = data.counts[el.getAttribute("data-townhall-count")];
            if (typeof n === "number") el.textContent = label(n);
          });
        })
        .catch(function () { /* counts are decoration; leave the placeholders */ });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fill);
  } else {
    fill();
  }
})();
