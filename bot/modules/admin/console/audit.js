/* The Audit page: every change made in the console (who, which action, on what, how it
   ended, when), newest first, 50 at a time with "Load more"; filtered by action. Entries
   newer than the first shown are added on top every 10 seconds while the page is shown. */
(function () {
  "use strict";
  var el = Console.el;
  var PAGE = 50;
  var KINDS = { ok: "good", refused: "warn", error: "bad" };

  function who(entry) {
    return entry.name ? entry.name + " (" + entry.user_id + ")" : String(entry.user_id);
  }

  function detail(text) {  // a refusal is recorded as its answer: {"error": "..."}
    try {
      var parsed = JSON.parse(text);
      if (parsed && typeof parsed.error === "string" && Object.keys(parsed).length === 1) { return parsed.error; }
    } catch (e) { /* plain text */ }
    return text;
  }

  function row(page, entry) {
    return el("tr", { "data-testid": "audit-row", "data-id": entry.id, "data-action": entry.action,
      "data-result": entry.result },
      el("td", { "class": "muted", "data-field": "when" }, Console.when(entry.at)),
      el("td", { "data-field": "who", "data-user": entry.user_id }, who(entry)),
      el("td", { "data-field": "action" }, el("strong", null, entry.action)),
      el("td", { "data-field": "target" }, entry.target === null ? el("span", { "class": "muted" }, "—") : entry.target),
      el("td", { "data-field": "result" },
        el("span", { "class": KINDS[entry.result] || "" }, Console.t(page, entry.result)),
        entry.detail ? el("pre", { "class": "muted", "data-field": "detail" }, detail(entry.detail)) : null));
  }

  Console.register({
    id: "audit",
    render: function (root, page) {
      var filter = el("select", { name: "action", "data-testid": "audit-action",
        "aria-label": Console.t(page, "action") },
        el("option", { value: "" }, Console.t(page, "all")));
      var body = el("tbody", { "data-testid": "audit-list" });
      var empty = el("p", { "class": "muted", "data-testid": "audit-empty", hidden: true }, Console.t(page, "none"));
      var more = el("button", { type: "button", "class": "action secondary", "data-testid": "audit-more", hidden: true },
        Console.t(page, "more"));
      var notice = el("div", { "class": "notice bad", role: "status", "data-testid": "audit-error", hidden: true });
      var seen = {}, shown = {};
      var newest = 0, oldest = 0, generation = 0;

      root.appendChild(el("p", { "class": "muted" }, Console.t(page, "about")));
      root.appendChild(el("div", null, el("label", null, Console.t(page, "action"), " ", filter)));
      root.appendChild(notice);
      root.appendChild(el("div", { "class": "table" }, el("table", { id: "audit", "class": "stack" },
        el("thead", null, el("tr", null, el("th", null, Console.t(page, "when")),
          el("th", null, Console.t(page, "who")), el("th", null, Console.t(page, "action")),
          el("th", null, Console.t(page, "target")), el("th", null, Console.t(page, "result")))),
        body)));
      root.appendChild(empty);
      root.appendChild(el("p", null, more));

      function learn(entries) {  // the filter offers every action met so far
        var added = false;
        entries.forEach(function (entry) {
          if (!seen[entry.action]) { seen[entry.action] = true; added = true; }
        });
        if (!added) { return; }
        var chosen = filter.value;
        while (filter.options.length > 1) { filter.remove(1); }
        Object.keys(seen).sort().forEach(function (action) {
          filter.appendChild(el("option", { value: action }, action));
        });
        filter.value = chosen;
      }

      function ask(before) {
        var query = "audit?limit=" + PAGE + (before ? "&before=" + before : "") +
          (filter.value ? "&action=" + encodeURIComponent(filter.value) : "");
        var asked = generation;
        return Console.api("GET", query).then(function (entries) {
          if (asked !== generation) { return null; }  // the filter changed meanwhile
          notice.hidden = true;
          learn(entries);
          return entries;
        }).catch(function (error) {
          notice.textContent = String(error.message);
          notice.hidden = false;
          return null;
        });
      }

      function add(entries, onTop) {
        entries = entries.filter(function (entry) { return !shown[entry.id]; });
        entries.forEach(function (entry) { shown[entry.id] = true; });
        var rows = entries.map(function (entry) { return row(page, entry); });
        if (onTop) { rows.reverse().forEach(function (r) { body.insertBefore(r, body.firstChild); }); }
        else { rows.forEach(function (r) { body.appendChild(r); }); }
        entries.forEach(function (entry) {
          newest = Math.max(newest, entry.id);
          oldest = oldest ? Math.min(oldest, entry.id) : entry.id;
        });
        empty.hidden = body.childNodes.length > 0;
      }

      function load() {
        generation += 1;
        newest = 0; oldest = 0; shown = {};
        body.textContent = "";
        more.hidden = true;
        ask(null).then(function (entries) {
          if (!entries) { return; }
          add(entries, false);
          more.hidden = entries.length < PAGE;
        });
      }

      function loadMore() {
        more.disabled = true;
        ask(oldest).then(function (entries) {
          more.disabled = false;
          if (!entries) { return; }
          add(entries, false);
          more.hidden = entries.length < PAGE;
        });
      }

      function poll() {
        ask(null).then(function (entries) {
          if (!entries) { return; }
          if (entries.length >= PAGE && entries[entries.length - 1].id > newest) { load(); return; }
          var first = !oldest;
          add(entries.filter(function (entry) { return entry.id > newest; }), true);
          if (first) { more.hidden = entries.length < PAGE; }
        });
      }

      filter.addEventListener("change", load);
      more.addEventListener("click", loadMore);
      load();
      Console.every(10000, poll);
    }
  });
})();
