/* townhall comment frame: forms that call the JSON API, htmx refreshes, auto-resize.
 *
 * Plain JavaScript, no build step. The page is server-rendered; this file only
 * wires the buttons and forms, talks to /api/v1 with fetch + X-CSRFToken, and
 * asks htmx to re-render the thread or the comment box after a change.
 */
(function () {
  "use strict";

  var body = document.body;
  var cfg = {
    site: body.dataset.site,
    story: body.dataset.story,
    url: body.dataset.url || "",
    title: body.dataset.title || "",
    threadUrl: body.dataset.threadUrl,
    composeUrl: body.dataset.composeUrl,
    sso: body.dataset.sso === "1",
  };
  // Strings come from Django's catalog (/embed/jsi18n/, loaded first); English without it.
  var gettext = window.gettext || function (text) { return text; };
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, key) { return String(values[key]); });
  }
  var csrfToken = null;
  // After single sign-on the server hands us a short-lived token; kept in memory
  // only, it keeps the reader signed in where the browser drops our cookies.
  var bearer = null;

  /* ---------- the API ---------- */

  function ApiFailure(message, status, code) {
    this.message = message;
    this.status = status;
    this.code = code;
  }

  function getCsrf(force) {
    if (csrfToken && !force) return Promise.resolve(csrfToken);
    return fetch("/api/v1/auth/csrf", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { csrfToken = data.csrf_token; return csrfToken; });
  }

  function api(method, path, payload, retried) {
    return getCsrf(false).then(function (token) {
      var init = {
        method: method,
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token },
      };
      if (bearer) init.headers["Authorization"] = "Bearer " + bearer;
      // The API words its error messages, which readers see, in the frame's language.
      if (document.documentElement.lang) init.headers["Accept-Language"] = document.documentElement.lang;
      if (payload !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(payload);
      }
      return fetch(path, init).catch(function () {
        throw new ApiFailure(gettext("Could not reach the server. Check your connection and try again."), 0, "network");
      });
    }).then(function (res) {
      if (res.status === 204) return null;
      return res.json().catch(function () { return null; }).then(function (data) {
        if (res.ok) return data;
        var err = data && data.error ? data.error : {};
        if (err.code === "csrf_failed" && !retried) {
          csrfToken = null;
          return api(method, path, payload, true);
        }
        var message = err.message || fmt(gettext("Something went wrong (HTTP %(status)s). Please try again."), { status: res.status });
        throw new ApiFailure(message, res.status, err.code);
      });
    });
  }

  /* ---------- messages ---------- */

  function say(where, text, kind) {
    var box = (where && where.querySelector(":scope > .msg")) || document.getElementById("status");
    box.textContent = text || "";
    box.classList.toggle("is-error", kind === "error");
    box.classList.toggle("is-ok", kind === "ok");
    if (text && box.id === "status") box.scrollIntoView({ block: "nearest" });
  }

  function fail(where) {
    return function (err) {
      say(where, err && err.message ? err.message : String(err), "error");
    };
  }

  /* ---------- refreshing fragments with htmx ---------- */

  function query(extra) {
    var q = new URLSearchParams({ site: cfg.site, story: cfg.story });
    if (cfg.url) q.set("url", cfg.url);
    if (cfg.title) q.set("title", cfg.title);
    var sort = document.getElementById("sort");
    if (sort && sort.value !== "newest") q.set("sort", sort.value);
    var focused = new URLSearchParams(location.search).get("comment");
    if (focused) q.set("comment", focused);
    if (cfg.sso) q.set("sso", "1");
    if (document.documentElement.lang) q.set("lang", document.documentElement.lang);
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    return q.toString();
  }

  // The first page holds this many top-level comments; the server serves at most MAX_PAGE.
  var PAGE = 50;
  var MAX_PAGE = 200;

  // ``grow``: top-level comments the action added (1 for a new comment), so the oldest
  // one the reader had loaded does not slip back behind "Show more".
  function refresh(what, grow) {
    var jobs = [];
    if (what.indexOf("thread") >= 0) {
      // Keep the reader's place: as many comments as they had loaded with "Show more",
      // and (unless they signed in or out) the reply, edit or report boxes they had open.
      var keep = what.indexOf("compose") < 0 ? openForms() : [];
      var loaded = document.querySelectorAll("#comment-list > li.comment").length;
      var extra = loaded > PAGE ? { limit: Math.min(loaded + (grow || 0), MAX_PAGE) } : {};
      jobs.push(
        swapIn("#thread", cfg.threadUrl + "?" + query(extra)).then(function () { reopenForms(keep); })
      );
    }
    if (what.indexOf("compose") >= 0) {
      live.muted = null; // someone else may be signed in now
      jobs.push(swapIn("#compose", cfg.composeUrl + "?" + query()));
    }
    return Promise.all(jobs);
  }

  // Whatever comes after a refresh (moving the focus to the comment box or a new
  // comment, saying it is done) needs the new fragment in the page. htmx.ajax sends
  // every request from the body, and while one is on its way htmx queues the next,
  // keeps only the latest queued, and settles the promise at once, before any swap:
  // a slow thread made "Welcome" come before the signed-in comment box. So ours go
  // one at a time; htmx then settles each promise once its fragment is swapped in.
  var swaps = Promise.resolve();
  function swapIn(selector, url) {
    var done = swaps.then(function () {
      return htmx.ajax("GET", url, { target: selector, swap: "outerHTML" });
    });
    swaps = done.catch(function () {}); // a failed one is said; the next still goes
    return done;
  }

  function openForms() {
    var open = document.querySelectorAll("#thread .slot > form.inline-form");
    return Array.prototype.map.call(open, function (form) {
      var values = {};
      form.querySelectorAll("textarea[name], input[type=text][name]").forEach(function (el) {
        values[el.name] = el.value;
      });
      var radio = form.querySelector("input[type=radio]:checked");
      var active = form.contains(document.activeElement) ? document.activeElement.name : "";
      return {
        id: form.dataset.comment, kind: form.dataset.form, values: values,
        radio: radio ? radio.value : "", active: active,
      };
    });
  }

  function reopenForms(saved) {
    saved.forEach(function (s) {
      var li = document.getElementById("c" + s.id);
      var button = li && li.querySelector(':scope > article [data-action="' + s.kind + '"]');
      if (!button) return;
      var form = openInline(li, button, "tpl-" + s.kind, true);
      if (!form) return;
      Object.keys(s.values).forEach(function (name) {
        var field = form.querySelector('[name="' + name + '"]');
        if (field) field.value = s.values[name];
      });
      form.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === s.radio; });
      var field = s.active && form.querySelector('[name="' + s.active + '"]');
      if (field && field.focus) field.focus({ preventScroll: true });
    });
  }

  function focusComment(id) {
    var el = document.querySelector("#c" + id + " > article");
    if (el) {
      el.focus({ preventScroll: true });
      tellParent({ type: "townhall:scroll", top: offsetTop(el) });
    }
  }

  function signedIn() {
    return !!document.querySelector("[data-signed-in]");
  }

  function toLogin(where, text) {
    say(where, text, "error");
    var field = document.getElementById("login-email");
    if (field) {
      tellParent({ type: "townhall:scroll", top: offsetTop(field) });
      field.focus({ preventScroll: true });
    }
  }

  /* ---------- inline forms under a comment ---------- */

  function closeInline(li) {
    var slot = li.querySelector(":scope > article .slot");
    if (slot) slot.innerHTML = "";
    li.querySelectorAll(":scope > article [aria-expanded]").forEach(function (b) {
      b.setAttribute("aria-expanded", "false");
    });
  }

  function openInline(li, button, templateId, quiet) {
    var expanded = button.getAttribute("aria-expanded") === "true";
    closeInline(li);
    if (expanded) return null;
    var form = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
    var prefix = templateId.replace("tpl-", "") + "-" + li.dataset.id + "-";
    form.querySelectorAll("[data-id]").forEach(function (el) { el.id = prefix + el.dataset.id; });
    form.querySelectorAll("[data-for]").forEach(function (el) { el.htmlFor = prefix + el.dataset.for; });
    var name = form.querySelector("[data-slot=name]");
    if (name) name.textContent = li.dataset.author || gettext("this comment");
    form.dataset.comment = li.dataset.id;
    li.querySelector(":scope > article .slot").appendChild(form);
    button.setAttribute("aria-expanded", "true");
    var first = form.querySelector("textarea, input");
    if (first && !quiet) first.focus();
    return form;
  }

  /* ---------- clicks ---------- */

  var actions = {
    reply: function (li, button) {
      if (!signedIn()) return toLogin(li.querySelector("article"), gettext("Log in or sign up below to reply."));
      openInline(li, button, "tpl-reply");
    },
    report: function (li, button) {
      if (!signedIn()) return toLogin(li.querySelector("article"), gettext("Log in or sign up below to report a comment."));
      openInline(li, button, "tpl-report");
    },
    edit: function (li, button) {
      var form = openInline(li, button, "tpl-edit");
      if (form) form.querySelector("textarea").value = li.dataset.raw || "";
    },
    appeal: function (li, button) {
      openInline(li, button, "tpl-appeal");
    },
    cancel: function (li) {
      var opener = li.querySelector(":scope > article [aria-expanded=true]");
      closeInline(li);
      if (opener) opener.focus();
    },
    like: function (li, button) {
      if (!signedIn()) return toLogin(li.querySelector("article"), gettext("Log in or sign up below to like comments."));
      api("POST", "/api/v1/comments/" + li.dataset.id + "/react", { kind: "like" }).then(function (data) {
        button.setAttribute("aria-pressed", data.liked ? "true" : "false");
        button.querySelector(".like-count").textContent = data.reactions.like;
      }).catch(fail(li.querySelector("article")));
    },
    "delete": function (li) {
      if (!window.confirm(gettext("Delete your comment? This cannot be undone."))) return;
      api("DELETE", "/api/v1/comments/" + li.dataset.id).then(function () {
        return refresh(["thread"]);
      }).then(function () {
        say(null, gettext("Your comment was deleted."), "ok");
      }).catch(fail(null));
    },
    eyewitness: function (li, button) {
      var where = li.querySelector("article");
      button.disabled = true;
      api("POST", "/api/v1/tips", { site: cfg.site, story: cfg.story, comment_id: Number(li.dataset.id) })
        .then(function () {
          var sent = document.createElement("span");
          sent.className = "eyewitness-sent";
          sent.tabIndex = -1;
          sent.textContent = gettext("Sent to the newsroom");
          (button.closest(".act") || button).replaceWith(sent);
          sent.focus();
          say(where, gettext("Thank you. Our journalists can now see that you were there."), "ok");
        })
        .catch(function (err) {
          button.disabled = false;
          fail(where)(err);
        });
    },
    share: function () {
      var toggle = document.querySelector(".share-toggle");
      var form = document.getElementById("share-form");
      var opening = form.hidden;
      form.hidden = !opening;
      toggle.setAttribute("aria-expanded", opening ? "true" : "false");
      if (!opening) return toggle.focus();
      var inside = signedIn();
      form.querySelectorAll("[data-when]").forEach(function (el) {
        el.hidden = (el.dataset.when === "signed-in") !== inside;
      });
      say(document.getElementById("share"), "", null);
      document.getElementById("tip-body").focus();
    },
    "nudge-edit": function (li, button) {
      var form = button.closest("form");
      clearNudge(form);
      var box = form.querySelector("textarea");
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    },
    "nudge-post": function (li, button) {
      var form = button.closest("form");
      if (form.reportValidity()) submitForm(form, true);
    },
    settings: function (li, button) {
      var panel = document.getElementById("settings");
      var opening = panel.hidden;
      panel.hidden = !opening;
      button.setAttribute("aria-expanded", opening ? "true" : "false");
      if (!opening) return button.focus();
      document.getElementById("settings-name").focus();
      loadMuted();
      loadNotifications();
    },
    mute: function (li, button) {
      var name = li.dataset.author || gettext("this reader");
      if (!window.confirm(fmt(gettext("Mute %(name)s? You will no longer see their comments here."), { name: name }))) return;
      api("POST", "/api/v1/me/mutes", { site: cfg.site, user_id: Number(button.dataset.user) })
        .then(function () {
          live.muted = null;
          return refresh(["thread"]);
        })
        .then(function () {
          say(null, fmt(gettext("You will no longer see comments by %(name)s. Undo this in Settings."), { name: name }), "ok");
        })
        .catch(fail(li.querySelector("article")));
    },
    unmute: function (li, button) {
      var where = document.querySelector(".muted-readers");
      api("DELETE", "/api/v1/me/mutes/" + button.dataset.user + "?site=" + encodeURIComponent(cfg.site))
        .then(function () {
          live.muted = null;
          button.closest("li").remove();
          say(where, gettext("Their comments are shown again."), "ok");
          return refresh(["thread"]);
        })
        .catch(fail(where));
    },
    export: function (li, button) {
      var where = button.closest("section");
      api("GET", "/api/v1/me/export").then(function (data) {
        var blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = "townhall-" + cfg.site + "-my-data.json";
        document.body.appendChild(link);
        link.click();
        link.remove();
        window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
        say(where, gettext("Your data is downloading."), "ok");
      }).catch(fail(where));
    },
    logout: function () {
      bearer = null;
      api("POST", "/api/v1/auth/logout", {}).then(function () {
        csrfToken = null;
        return refresh(["thread", "compose"]);
      }).then(function () {
        say(null, gettext("You are logged out."), "ok");
      }).catch(fail(null));
    },
  };

  // The email choices in Settings: GET/PATCH /api/v1/me/notifications.
  var NOTIFY_KINDS = ["replies", "outcomes", "report_outcomes"];
  function loadNotifications() {
    var form = document.querySelector("[data-form=notifications]");
    if (!form) return;
    api("GET", "/api/v1/me/notifications").then(function (prefs) {
      NOTIFY_KINDS.forEach(function (kind) { form.elements[kind].checked = !!prefs[kind]; });
      form.querySelector(".notify-unconfirmed").hidden = !!prefs.can_mail;
    }).catch(fail(form));
  }

  function loadMuted() {
    var list = document.getElementById("muted-list");
    api("GET", "/api/v1/me/mutes?site=" + encodeURIComponent(cfg.site)).then(function (data) {
      list.textContent = "";
      (data.muted || []).forEach(function (reader) {
        var item = document.createElement("li");
        var name = document.createElement("span");
        name.textContent = reader.display_name + " ";
        var undo = document.createElement("button");
        undo.type = "button";
        undo.className = "linklike";
        undo.dataset.action = "unmute";
        undo.dataset.user = reader.id;
        undo.textContent = gettext("Unmute");
        item.appendChild(name);
        item.appendChild(undo);
        list.appendChild(item);
      });
      if (!list.children.length) {
        var none = document.createElement("li");
        none.textContent = gettext("Nobody.");
        list.appendChild(none);
      }
    }).catch(fail(document.querySelector(".muted-readers")));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || !actions[button.dataset.action]) return;
    event.preventDefault();
    actions[button.dataset.action](button.closest("li.comment"), button);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var form = event.target.closest(".inline-form");
    if (form) actions.cancel(form.closest("li.comment"));
    if (event.target.closest("#share-form")) actions.share();
  });

  /* ---------- forms ---------- */

  function signedInNow(data, quiet) {
    csrfToken = null; // Django rotates the token at log-in
    return refresh(["thread", "compose"]).then(function () {
      if (quiet === true) return;
      var name = data && data.user && data.user.display_name;
      say(null, name ? fmt(gettext("Welcome, %(name)s."), { name: name }) : gettext("You are signed in."), "ok");
    });
  }

  function signedInHere(data) {
    // The reader used our own form: carry their focus on to the comment box.
    return signedInNow(data).then(function () {
      var box = document.getElementById("new-body");
      if (box) box.focus({ preventScroll: true });
    });
  }

  // Whole sentences per case, so each language can word them its own way.
  var OUTCOMES = {
    comment: {
      heldUnder: gettext("Thanks. Your comment is held for review under %(rules)s. Only you can see it until a moderator has looked at it."),
      held: gettext("Thanks. Your comment is awaiting review and will appear once a moderator has looked at it."),
      rejectedUnder: gettext("Your comment was not published: it breaks %(rules)s. Only you can see it. You can edit it, or ask a moderator for a second look."),
      rejected: gettext("Your comment was not published. Only you can see it. You can edit it, or ask a moderator for a second look."),
    },
    reply: {
      heldUnder: gettext("Thanks. Your reply is held for review under %(rules)s. Only you can see it until a moderator has looked at it."),
      held: gettext("Thanks. Your reply is awaiting review and will appear once a moderator has looked at it."),
      rejectedUnder: gettext("Your reply was not published: it breaks %(rules)s. Only you can see it. You can edit it, or ask a moderator for a second look."),
      rejected: gettext("Your reply was not published. Only you can see it. You can edit it, or ask a moderator for a second look."),
    },
  };

  function describe(result, what) {
    var says = OUTCOMES[what] || OUTCOMES.comment;
    var rules = listed(guidelinesOf(wordReasons(result.reasons)));
    if (result.status === "pending") {
      return rules ? fmt(says.heldUnder, { rules: rules }) : says.held;
    }
    if (result.status === "rejected") {
      rules = listed(guidelinesOf(result.reasons || []));
      return rules ? fmt(says.rejectedUnder, { rules: rules }) : says.rejected;
    }
    return "";
  }

  function guidelinesOf(reasons) {
    var titles = [];
    reasons.forEach(function (r) {
      var title = guidelineTitle(r.guideline);
      if (title && titles.indexOf(title) < 0) titles.push(title);
    });
    return titles;
  }

  // "A", "A and B", "A, B and C".
  function listed(items) {
    if (items.length < 2) return items.join("");
    return items.slice(0, -1).join(gettext(", ")) + gettext(" and ") + items[items.length - 1];
  }

  /* ---------- check before posting: the Be Nice nudge ---------- */

  // Reasons about the site's settings (pre-moderation), not about the words.
  var NOT_ABOUT_WORDS = { premoderation: true, scorer_unavailable: true };
  var ATTRIBUTE_LABELS = {
    toxicity: gettext("hostile tone"),
    insult: gettext("insult"),
    identity_attack: gettext("attack on a group of people"),
    obscene: gettext("obscene language"),
    sexual: gettext("sexual language"),
    threat: gettext("threat"),
    spam: gettext("looks like spam"),
    links: gettext("links"),
    banned_word: gettext("a word this site does not allow"),
    suspect_word: gettext("a word our moderators look at"),
    claim: gettext("a claim our reporters found to be false"),
  };

  function wordReasons(reasons) {
    return (reasons || []).filter(function (r) { return r && r.guideline && !NOT_ABOUT_WORDS[r.attribute]; });
  }

  // [{title, detail}] per guideline, in the engine's order, e.g. Be Nice (insult).
  function breaches(reasons) {
    var order = [];
    var labels = {};
    reasons.forEach(function (r) {
      if (!labels[r.guideline]) {
        labels[r.guideline] = [];
        order.push(r.guideline);
      }
      var label = ATTRIBUTE_LABELS[r.attribute] || String(r.attribute || "").replace(/_/g, " ");
      if (label && labels[r.guideline].indexOf(label) < 0) labels[r.guideline].push(label);
    });
    return order.map(function (key) {
      var found = labels[key];
      // "hostile tone" is the general score: say it only when nothing more specific is there.
      if (found.length > 1) found = found.filter(function (l) { return l !== ATTRIBUTE_LABELS.toxicity; });
      return { title: guidelineTitle(key), detail: found.join(", ") };
    });
  }

  // Merged [start, end) ranges, in code points, within a text of n code points.
  function spansOf(reasons, n) {
    var spans = [];
    reasons.forEach(function (r) {
      (r.spans || []).forEach(function (s) {
        var a = Math.max(0, parseInt(s && s[0], 10) || 0);
        var b = Math.min(n, parseInt(s && s[1], 10) || 0);
        if (b > a) spans.push([a, b]);
      });
    });
    spans.sort(function (x, y) { return x[0] - y[0]; });
    var merged = [];
    spans.forEach(function (s) {
      var last = merged[merged.length - 1];
      if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
      else merged.push(s.slice());
    });
    return merged;
  }

  // The text with the words in question marked; long texts only around them.
  // Built from text nodes, so nothing the reader typed is ever parsed as HTML.
  function fillPreview(box, chars, spans) {
    var around = chars.length > 600 ? 80 : chars.length;
    var pos = 0;
    function text(from, to) {
      if (to > from) box.appendChild(document.createTextNode(chars.slice(from, to).join("")));
    }
    spans.forEach(function (s) {
      var from = Math.max(pos, s[0] - around);
      if (from > pos) box.appendChild(document.createTextNode("… "));
      text(from, s[0]);
      var mark = document.createElement("mark");
      mark.textContent = chars.slice(s[0], s[1]).join("");
      box.appendChild(mark);
      pos = s[1];
    });
    var end = Math.min(chars.length, pos + around);
    text(pos, end);
    if (end < chars.length) box.appendChild(document.createTextNode(" …"));
  }

  function clearNudge(form) {
    var slot = form.querySelector(".nudge-slot");
    if (slot) slot.textContent = "";
  }

  function showNudge(form, text, reasons) {
    var slot = form.querySelector(".nudge-slot");
    var nudge = document.getElementById("tpl-nudge").content.firstElementChild.cloneNode(true);
    var editing = form.dataset.form === "edit";
    var line = nudge.querySelector("[data-slot=text]");
    // The sentence is translated whole; the guideline names go where %(rules)s stands.
    var sentence = (editing ? gettext("This may break %(rules)s. Edit it, or save anyway?")
      : gettext("This may break %(rules)s. Edit it, or post anyway?")).split("%(rules)s");
    line.appendChild(document.createTextNode(sentence[0]));
    breaches(reasons).forEach(function (b, i, all) {
      if (i > 0) line.appendChild(document.createTextNode(i === all.length - 1 ? gettext(" and ") : gettext(", ")));
      var strong = document.createElement("strong");
      strong.textContent = b.title;
      line.appendChild(strong);
      if (b.detail) line.appendChild(document.createTextNode(" (" + b.detail + ")"));
    });
    line.appendChild(document.createTextNode(sentence.slice(1).join("")));

    var chars = Array.from(text); // the engine counts code points, as Python does
    var spans = spansOf(reasons, chars.length);
    if (spans.length) {
      var preview = nudge.querySelector("[data-slot=preview]");
      fillPreview(preview, chars, spans);
      preview.hidden = false;
    }
    var claim = reasons.filter(function (r) { return r.correction; })[0];
    if (claim) {
      var note = nudge.querySelector("[data-slot=correction]");
      var label = document.createElement("strong");
      label.textContent = gettext("Fact check:");
      note.appendChild(label);
      note.appendChild(document.createTextNode(" " + claim.correction));
      if (/^https?:\/\//i.test(claim.link || "")) {
        var link = document.createElement("a");
        link.href = claim.link;
        link.rel = "nofollow noopener";
        link.target = "_blank";
        link.textContent = gettext("Read the fact check");
        note.appendChild(document.createTextNode(" "));
        note.appendChild(link);
      }
      note.hidden = false;
    }
    if (editing) nudge.querySelector("[data-action=nudge-post]").textContent = gettext("Save anyway");
    slot.textContent = "";
    slot.appendChild(nudge);
    // The choice comes first to keyboard users; the live region reads the notice out.
    nudge.scrollIntoView({ block: "nearest" });
    nudge.querySelector("[data-action=nudge-edit]").focus({ preventScroll: true });
  }

  var CHECKED_FORMS = { comment: true, reply: true, edit: true };

  // Resolves true when the form should go on and post.
  function checkFirst(form, data) {
    var text = String(data.get("body") || "");
    if (!CHECKED_FORMS[form.dataset.form] || !text.trim()) return Promise.resolve(true);
    return api("POST", "/api/v1/moderation/check", { site: cfg.site, body: text }).then(
      function (check) {
        var reasons = check && check.decision !== "published" ? wordReasons(check.reasons) : [];
        if (!reasons.length) return true;
        showNudge(form, text, reasons);
        return false;
      },
      function () { return true; } // the check is a courtesy: if it fails, just post
    );
  }

  function guidelineTitle(key) {
    var el = document.querySelector('.guidelines [data-key="' + key + '"] strong');
    return el ? el.textContent.replace(/\.$/, "") : key === "spam" ? gettext("No spam") : key;
  }

  /* ---------- sign-up proof of work ---------- */

  // Sign-up carries a signed challenge, a nonce whose SHA-256 with it starts with
  // `difficulty` zero bits, and at least `min_seconds` of the form being open.
  // The work starts when the reader first reaches the form, so it is done by the
  // time they have typed.
  var proof = null;

  function pause(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, Math.max(0, ms)); });
  }

  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i]) return bits + Math.clz32(bytes[i]) - 24;
      bits += 8;
    }
    return bits;
  }

  function work(challenge, bits) {
    if (!bits) return Promise.resolve("0");
    if (!(window.crypto && window.crypto.subtle)) {
      return Promise.reject(new ApiFailure(gettext("Signing up needs a secure (https) connection."), 0, "insecure"));
    }
    var encoder = new TextEncoder();
    var BATCH = 512; // digests in flight at once: SubtleCrypto answers each asynchronously
    function batch(start) {
      var tries = [];
      for (var n = start; n < start + BATCH; n++) {
        tries.push(window.crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + n)));
      }
      return Promise.all(tries).then(function (digests) {
        for (var i = 0; i < digests.length; i++) {
          if (zeroBits(new Uint8Array(digests[i])) >= bits) return String(start + i);
        }
        return batch(start + BATCH);
      });
    }
    return batch(0);
  }

  function signupProof() {
    if (!proof) {
      proof = api("GET", "/api/v1/auth/signup/challenge?site=" + encodeURIComponent(cfg.site))
        .then(function (c) {
          var ready = Date.now() + c.min_seconds * 1000 + 250;
          return work(c.challenge, c.difficulty).then(function (nonce) {
            return { challenge: c.challenge, nonce: nonce, ready: ready };
          });
        });
      proof.catch(function () { proof = null; });
    }
    return proof;
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.closest && event.target.closest("form[data-form=signup]")) signupProof();
  });

  var forms = {
    login: function (form, data) {
      return api("POST", "/api/v1/auth/login", {
        email: data.get("email"), password: data.get("password"), site: cfg.site,
      }).then(signedInHere);
    },
    signup: function (form, data) {
      return signupProof().then(function (p) {
        return pause(p.ready - Date.now()).then(function () {
          return api("POST", "/api/v1/auth/signup", {
            email: data.get("email"), password: data.get("password"),
            display_name: data.get("display_name"), site: cfg.site,
            challenge: p.challenge, nonce: p.nonce, website: data.get("website") || "",
          });
        });
      }).then(function (result) {
        proof = null; // spent on this account
        return signedInHere(result);
      }, function (err) {
        if (err && /^challenge_/.test(err.code || "")) proof = null; // a fresh one next time
        throw err;
      });
    },
    erase: function (form, data) {
      if (!window.confirm(gettext("Delete your account and erase your comments on every site? This cannot be undone."))) return null;
      return api("DELETE", "/api/v1/me", { password: data.get("password") || null }).then(function () {
        bearer = null;
        csrfToken = null;
        return refresh(["thread", "compose"]);
      }).then(function () {
        say(null, gettext("Your account is deleted."), "ok");
      });
    },
    comment: function (form, data) {
      return post(form, data.get("body"), null, "comment");
    },
    reply: function (form, data) {
      return post(form, data.get("body"), Number(form.dataset.comment), "reply");
    },
    edit: function (form, data) {
      return api("PATCH", "/api/v1/comments/" + form.dataset.comment, { body: data.get("body") })
        .then(function (result) {
          var note = describe(result, "comment");
          closeInline(form.closest("li.comment"));
          return refresh(["thread"]).then(function () {
            focusComment(form.dataset.comment);
            sayAt(form.dataset.comment, note || gettext("Your comment was updated."), note ? null : "ok");
          });
        });
    },
    appeal: function (form, data) {
      return api("POST", "/api/v1/comments/" + form.dataset.comment + "/appeal", { note: data.get("note") })
        .then(function () {
          closeInline(form.closest("li.comment"));
          return refresh(["thread"]).then(function () {
            focusComment(form.dataset.comment);
            sayAt(form.dataset.comment, gettext("Sent. A moderator will look at your comment again."), "ok");
          });
        });
    },
    tip: function (form, data) {
      return api("POST", "/api/v1/tips", {
        site: cfg.site, story: cfg.story, body: data.get("body"), contact: data.get("contact") || "",
      }).then(function (result) {
        var toggle = document.querySelector(".share-toggle");
        form.reset();
        form.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
        say(document.getElementById("share"),
          (result && result.message) || gettext("Thank you. The newsroom will read this."), "ok");
      });
    },
    notifications: function (form, data) {
      var changes = {};
      NOTIFY_KINDS.forEach(function (kind) { changes[kind] = data.get(kind) === "on"; });
      return api("PATCH", "/api/v1/me/notifications", changes).then(function () {
        say(form, gettext("Your email settings are saved."), "ok");
      });
    },
    rename: function (form, data) {
      return api("PATCH", "/api/v1/me", { site: cfg.site, display_name: data.get("display_name") })
        .then(function (result) {
          var name = result.user.display_name;
          document.querySelector(".whoami strong").textContent = name;
          say(form, fmt(gettext("Your comments now show %(name)s."), { name: name }), "ok");
          return refresh(["thread"]);
        });
    },
    password: function (form, data) {
      return api("POST", "/api/v1/me/password", {
        current_password: data.get("current_password"), new_password: data.get("new_password"),
      }).then(function () {
        form.reset();
        say(form, gettext("Your password is changed."), "ok");
      });
    },
    report: function (form, data) {
      return api("POST", "/api/v1/comments/" + form.dataset.comment + "/report", {
        reason: data.get("reason"), note: data.get("note") || "",
      }).then(function () {
        var li = form.closest("li.comment");
        var button = li.querySelector(":scope > article [data-action=report]");
        closeInline(li);
        say(li.querySelector("article"), gettext("Thank you. Our moderators will look at this comment."), "ok");
        if (button) button.focus();
      });
    },
  };

  function post(form, text, parentId, what) {
    var payload = { site: cfg.site, story: cfg.story, body: text, story_url: cfg.url, story_title: cfg.title };
    if (parentId) payload.parent_id = parentId;
    return api("POST", "/api/v1/comments", payload).then(function (result) {
      // Held or rejected, the comment is stored all the same: it shows in the thread
      // as the author's own, saying which guideline held it.
      var note = describe(result, what);
      live.mine[result.id] = true; // its own refresh shows it: no "new comment" button for it
      form.reset();
      if (parentId) closeInline(form.closest("li.comment"));
      return refresh(["thread"], parentId ? 0 : 1).then(function () {
        focusComment(result.id);
        // Neutral, not an error: the post went through, and the note above says why it waits.
        if (note) sayAt(result.id, note, result.status === "published" ? "ok" : null);
      });
    });
  }

  function sayAt(commentId, text, kind) {
    say(document.querySelector("#c" + commentId + " > article"), text, kind);
  }

  function submitForm(form, checked) {
    var submit = form.querySelector("[type=submit]");
    if (submit.disabled) return;
    submit.disabled = true;
    say(form, "", null);
    var data = new FormData(form);
    Promise.resolve()
      .then(function () { return checked ? true : checkFirst(form, data); })
      .then(function (go) {
        if (!go) return;
        clearNudge(form);
        return forms[form.dataset.form](form, data);
      })
      .catch(fail(form))
      .then(function () { submit.disabled = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-form]");
    if (!form || !forms[form.dataset.form]) return;
    event.preventDefault();
    submitForm(form, false);
  });

  /* ---------- the parent page: height, scrolling, single sign-on ---------- */

  function tellParent(message) {
    if (window.parent !== window) window.parent.postMessage(message, "*"); // no secrets in these
  }

  function offsetTop(el) {
    return Math.round(el.getBoundingClientRect().top + window.scrollY);
  }

  var lastHeight = 0;
  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      tellParent({ type: "townhall:height", height: height });
    }
  }
  if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.body);
  window.addEventListener("load", postHeight);
  postHeight();

  function showLoginForms() {
    var wait = document.querySelector(".sso-wait");
    var auth = document.querySelector(".auth");
    if (wait) wait.hidden = true;
    if (auth) auth.hidden = false;
  }

  window.addEventListener("message", function (event) {
    // Only the page that embeds us hands us a token; it is sent to nobody else.
    if (event.source !== window.parent || !event.data || event.data.type !== "townhall:sso") return;
    // Exchanged even when a session exists: the publisher's reader may have changed.
    var quiet = signedIn();
    api("POST", "/api/v1/auth/sso", { site: cfg.site, token: String(event.data.token || "") })
      .then(function (data) {
        if (data && data.token) bearer = data.token;
        return signedInNow(data, quiet);
      })
      .catch(function (err) {
        showLoginForms();
        say(null, err.message, "error");
      });
  });

  if (cfg.sso && !signedIn()) {
    // If the publisher's token never comes, fall back to our own forms.
    window.setTimeout(function () { if (!signedIn()) showLoginForms(); }, 5000);
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (bearer) event.detail.headers["Authorization"] = "Bearer " + bearer;
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    say(null, fmt(gettext("Could not load comments (HTTP %(status)s). Please try again."), { status: event.detail.xhr.status }), "error");
  });
  document.body.addEventListener("htmx:sendError", function () {
    say(null, gettext("Could not reach the server. Check your connection and try again."), "error");
  });

  /* ---------- live updates ---------- */

  // Comments others post wait behind a "new comments" button, so the thread never
  // moves under the reader; a comment taken down (or one of the reader's own that a
  // moderator decided on) is re-rendered at once. Events come over Server-Sent Events.
  var live = { waiting: {}, mine: {}, retry: null, muted: null };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };

  function showWaiting() {
    var waiting = {};
    Object.keys(live.waiting).forEach(function (id) {
      if (!document.getElementById("c" + id)) waiting[id] = live.waiting[id];
    });
    live.waiting = waiting;
    var n = Object.keys(waiting).length;
    var button = document.getElementById("live-new");
    if (!button) return;
    button.hidden = n === 0;
    button.textContent = fmt(ngettext("%(count)s new comment", "%(count)s new comments", n), { count: n });
  }

  function onLive(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    var li = document.getElementById("c" + data.id);
    if (!data.visible) {
      delete live.waiting[data.id];
      // The server knows what stands in its place: nothing, or a tombstone over replies.
      if (li) refresh(["thread"]).then(showWaiting); else showWaiting();
      return;
    }
    if (li) {
      if (li.classList.contains("is-pending")) refresh(["thread"]).then(showWaiting); // approved
      return;
    }
    if (live.mine[data.id]) return;
    // One shared promise, so events are still counted in the order they came.
    mutedReaders().then(function (muted) {
      if (data.author != null && muted[data.author]) return; // never shown to this reader
      // A reply shows under a comment on the page, or one waiting behind the button;
      // under a muted reader's comment (or one further down) it would not show at all.
      var parent = data.parent_id;
      if (parent && !document.getElementById("c" + parent) && !live.waiting[parent]) return;
      live.waiting[data.id] = { top: !parent };
      showWaiting();
    });
  }

  // The ids of the readers this reader muted on the site, fetched once when needed.
  function mutedReaders() {
    if (!signedIn()) return Promise.resolve({});
    if (!live.muted) {
      live.muted = api("GET", "/api/v1/me/mutes?site=" + encodeURIComponent(cfg.site)).then(
        function (data) {
          var ids = {};
          (data.muted || []).forEach(function (reader) { ids[reader.id] = true; });
          return ids;
        },
        function () { live.muted = null; return {}; }
      );
    }
    return live.muted;
  }

  actions["show-new"] = function () {
    var ids = Object.keys(live.waiting);
    var top = ids.filter(function (id) { return live.waiting[id].top; }).length;
    refresh(["thread"], top).then(function () {
      var shown = ids.filter(function (id) { return document.getElementById("c" + id); });
      live.waiting = {};
      showWaiting();
      if (!shown.length) return; // muted authors, or beyond the page the reader is on
      focusComment(shown[0]);
      say(null, fmt(ngettext("%(count)s new comment shown.", "%(count)s new comments shown.", shown.length),
        { count: shown.length }), "ok");
    }).catch(fail(null));
  };

  function startLive() {
    var url = body.dataset.liveUrl;
    // One conversation from a permalink stays as it was opened.
    if (!url || !window.EventSource || new URLSearchParams(location.search).get("comment")) return;
    var source = new EventSource(url + "?" + new URLSearchParams({ site: cfg.site, story: cfg.story }));
    source.addEventListener("comment", onLive);
    // For whoever checks on the frame (tests, support): is it listening?
    source.addEventListener("open", function () { body.dataset.live = "open"; });
    source.addEventListener("error", function () {
      body.dataset.live = source.readyState === EventSource.CLOSED ? "closed" : "reconnecting";
      // A dropped stream reconnects by itself; an error answer (say, a busy server's
      // 503) closes it for good, so try again later, at a random moment.
      if (source.readyState !== EventSource.CLOSED || live.retry) return;
      live.retry = window.setTimeout(function () { live.retry = null; startLive(); },
        30000 + Math.random() * 30000);
    });
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "thread") showWaiting();
  });

  startLive();

  // The frame's <title> is in the reader's language; the host page names the iframe with it.
  tellParent({ type: "townhall:ready", sso: cfg.sso, title: document.title });

  var highlighted = document.querySelector(".comment.is-highlighted > article");
  if (highlighted) {
    highlighted.scrollIntoView({ block: "center" });
    window.requestAnimationFrame(function () {
      postHeight();
      tellParent({ type: "townhall:scroll", top: offsetTop(highlighted) });
    });
  }
})();
