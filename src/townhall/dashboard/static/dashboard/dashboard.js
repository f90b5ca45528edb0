/* townhall desk: keyboard moderation, bulk selection, dialogs and notices.
 * Loaded as a static file (the dashboard's CSP allows no inline script).
 * Every shortcut presses a real button or submits a real form, so htmx does the work
 * and the same actions stay reachable with a mouse or a screen reader. */
(function () {
  "use strict";

  var current = null;
  var toastTimer = null;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function liveCards() {
    return Array.prototype.slice.call(document.querySelectorAll("#cards > .card:not(.card--done)"));
  }

  function toast(message, isError) {
    var box = $("#toast");
    if (!box || !message) return;
    box.textContent = message;
    box.classList.toggle("is-error", !!isError);
    box.classList.add("is-shown");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.classList.remove("is-shown"); }, isError ? 6000 : 3500);
  }

  function select(card, scroll) {
    if (current && current !== card) current.classList.remove("is-current");
    current = card || null;
    if (!current) return;
    current.classList.add("is-current");
    current.focus({ preventScroll: true });
    if (scroll !== false) current.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var cards = liveCards();
    if (!cards.length) return;
    var i = cards.indexOf(current);
    i = i < 0 ? 0 : Math.max(0, Math.min(cards.length - 1, i + step));
    select(cards[i]);
  }

  // After a card was swapped for its "done" note, select the next card still waiting.
  function reselect(id) {
    var done = id ? document.getElementById("card-" + id) : null;
    if (current && current.isConnected && !current.classList.contains("card--done")) return;
    var next = done;
    while (next && (next = next.nextElementSibling)) {
      if (next.classList.contains("card") && !next.classList.contains("card--done")) break;
    }
    if (!next) {
      var prev = done;
      while (prev && (prev = prev.previousElementSibling)) {
        if (prev.classList.contains("card") && !prev.classList.contains("card--done")) break;
      }
      next = prev;
    }
    select(next || liveCards()[0] || null);
  }

  function submitAction(card, action, guideline) {
    var form = card && card.querySelector('form[data-action="' + action + '"]');
    if (!form) return false;
    if (guideline && form.elements.guideline) form.elements.guideline.value = guideline;
    form.requestSubmit();
    return true;
  }

  function askReject(card) {
    var dialog = $("#reject-dialog");
    if (!dialog || !card || !card.querySelector('form[data-action="reject"]')) return;
    var select_ = $("#reject-guideline", dialog);
    var own = card.querySelector('form[data-action="reject"] select[name="guideline"]');
    select_.value = (own && own.value) || card.dataset.guideline || select_.options[0].value;
    dialog.dataset.card = card.id;
    dialog.returnValue = "";
    dialog.showModal();
    select_.focus();
  }

  function updateBulk() {
    var picked = document.querySelectorAll("#cards .pick:checked");
    var counter = $("#bulk [data-selected]");
    if (counter) counter.textContent = String(picked.length);
    var bar = $("#bulk");
    if (bar) bar.classList.toggle("has-selection", picked.length > 0);
    document.querySelectorAll("#cards > .card").forEach(function (card) {
      var box = card.querySelector(".pick");
      card.classList.toggle("is-picked", !!(box && box.checked));
    });
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (!$("#cards")) return;
    var handled = true;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": if (!current) move(0); submitAction(current, "approve"); break;
      case "r": if (!current) move(0); askReject(current); break;
      case "f": if (!current) move(0); submitAction(current, "feature"); break;
      case "x":
        if (!current) move(0);
        var box = current && current.querySelector(".pick");
        if (box) { box.checked = !box.checked; updateBulk(); }
        break;
      case "z": var undo = $("#undo-form"); if (undo) undo.requestSubmit(); break;
      case "?": var help = $("#help"); if (help) help.showModal(); break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-open]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.open);
      if (dialog) dialog.showModal();
      return;
    }
    var card = e.target.closest("#cards > .card:not(.card--done)");
    if (card) select(card, false);
  });

  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("pick")) updateBulk();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = $("#reject-dialog");
    if (dialog) {
      dialog.addEventListener("close", function () {
        if (dialog.returnValue !== "reject") return;
        var card = document.getElementById(dialog.dataset.card || "");
        submitAction(card, "reject", $("#reject-guideline", dialog).value);
      });
    }
    updateBulk();
  });

  // htmx events: notices from the server, errors, and keeping the selection sensible.
  document.body.addEventListener("dash:toast", function (e) {
    toast(e.detail && (e.detail.value || e.detail), false);
  });
  document.body.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    var text = xhr && xhr.getResponseHeader("Content-Type") && xhr.getResponseHeader("Content-Type").indexOf("text/plain") === 0
      ? xhr.responseText
      : (document.body.dataset.textFailed || "Something went wrong (%(status)s).").replace("%(status)s", xhr ? xhr.status : "network");
    toast(text, true);
  });
  document.body.addEventListener("htmx:sendError", function () {
    toast(document.body.dataset.textUnreachable || "The server could not be reached.", true);
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    var target = e.detail.elt;
    if (!$("#cards")) return;
    var id = target && target.dataset ? target.dataset.id : null;
    if (target && target.id === "cards") { current = null; select(liveCards()[0] || null, false); }
    else reselect(id);
    updateBulk();
  });
  document.body.addEventListener("htmx:oobAfterSwap", function (e) {
    var swapped = e.detail.target;
    if (current && !current.isConnected && swapped && swapped.dataset) reselect(swapped.dataset.id);
    updateBulk();
  });
})();
