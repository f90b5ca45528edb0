/* townhall embed loader.
 *
 *   <div id="townhall" data-site="S" data-story="K" data-url="…" data-title="…"></div>
 *   <script src="https://townhall.example/embed.js" async></script>
 *
 * Creates the comment iframe, sized to its content by postMessage. Optional
 * data-sso-token (a JWT signed by the publisher) is handed to the iframe by
 * postMessage, never in a URL, so signed-in readers never see a second login.
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector('script[src$="/embed.js"], script[src*="/embed.js?"]');
  if (!script) return;
  var base = script.src.replace(/\/embed\.js(\?.*)?$/, "");
  var origin = new URL(base, location.href).origin;

  function pageUrl() {
    var canonical = document.querySelector('link[rel="canonical"]');
    if (canonical && canonical.href) return canonical.href;
    var url = new URL(location.href);
    url.hash = "";
    url.searchParams.delete("comment");
    return url.toString();
  }

  function mount() {
    var host = document.getElementById("townhall");
    if (!host || host.dataset.townhallMounted) return;
    host.dataset.townhallMounted = "1";
    var d = host.dataset;
    var params = new URLSearchParams({
      site: d.site || "",
      story: d.story || location.pathname,
      url: d.url || pageUrl(),
      title: d.title || document.title,
    });
    var comment = new URLSearchParams(location.search).get("comment");
    if (comment && /^\d+$/.test(comment)) params.set("comment", comment);
    if (d.ssoToken) params.set("sso", "1"); // a flag only: the token travels by postMessage
    // The frame speaks the page's language (data-lang overrides <html lang>); without
    // either, the server goes by the reader's Accept-Language.
    var lang = d.lang || document.documentElement.lang;
    if (lang) params.set("lang", lang);

    var frame = document.createElement("iframe");
    frame.src = base + "/embed/?" + params.toString();
    frame.title = d.frameTitle || "Comments";
    frame.setAttribute("scrolling", "no");
    frame.style.cssText = "display:block;width:100%;border:0;overflow:hidden;min-height:320px;";
    host.appendChild(frame);

    window.addEventListener("message", function (event) {
      // Only our own iframe, from the townhall origin, may resize or scroll us.
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var m = event.data || {};
      if (m.type === "townhall:height" && m.height > 0) {
        frame.style.height = Math.ceil(m.height) + "px";
        frame.style.minHeight = "0";
      } else if (m.type === "townhall:scroll" && typeof m.top === "number") {
        var top = frame.getBoundingClientRect().top + window.scrollY + m.top - 80;
        // Readers who asked their system for less motion get a jump, not a glide.
        var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        window.scrollTo({ top: Math.max(0, top), behavior: still ? "auto" : "smooth" });
      } else if (m.type === "townhall:ready") {
        // "Comments" until the frame tells its title in the page's language.
        if (!d.frameTitle && typeof m.title === "string" && m.title) frame.title = m.title.slice(0, 200);
        if (m.sso && d.ssoToken) {
          frame.contentWindow.postMessage({ type: "townhall:sso", token: d.ssoToken }, origin);
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
