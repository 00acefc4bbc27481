/* The People page: find a user by id or @username, then see them: the profile (language,
   zone, ...) and every section the modules add (points, ledger, streak, VIP, ...), each
   rendered from its own answer: a title, facts, a table, and actions (grant, revoke) that
   call the same functions as the chat commands. */
(function () {
  "use strict";
  var el = Console.el;

  function notice(root, text, kind) {
    var box = root.querySelector("[data-testid=people-notice]");
    if (!box) {
      box = el("div", { "class": "notice", role: "status", "data-testid": "people-notice" });
      root.insertBefore(box, root.firstChild);
    }
    box.className = "notice " + (kind || "");
    box.textContent = text;
  }

  function shown(value, kind) {
    if (value === null || value === undefined || value === "") { return "—"; }
    return kind === "time" ? Console.when(value) : String(value);
  }

  function facts(section) {
    if (!section.facts || !section.facts.length) { return null; }
    return el("table", { "class": "facts" }, section.facts.map(function (fact) {
      return el("tr", null, el("th", null, fact.label),
        el("td", { "data-testid": "fact-" + section.section + "-" + fact.key }, shown(fact.value, fact.kind)));
    }));
  }

  function table(section) {
    var t = section.table;
    if (!t) { return null; }
    if (!t.rows.length) { return el("p", { "class": "muted", "data-testid": "table-" + section.section }, t.empty || "—"); }
    return el("div", { "class": "table" }, el("table", { "data-testid": "table-" + section.section },
      el("tr", null, t.columns.map(function (c) { return el("th", null, c.label); })),
      t.rows.map(function (row) {
        return el("tr", null, t.columns.map(function (c) { return el("td", null, shown(row[c.key], c.kind)); }));
      })));
  }

  function actions(page, root, section, reload) {
    if (!section.actions || !section.actions.length) { return null; }
    return el("div", { "class": "actions" }, section.actions.map(function (action) {
      var id = section.section + "-" + action.id;
      var input = action.input ? el("input", { type: "text", name: action.input.name, size: 10,
        value: action.input.value || "", "aria-label": action.input.label, title: action.input.label,
        "data-testid": "action-input-" + id }) : null;
      function run() {
        var body = {};
        if (input) { body[action.input.name] = input.value; }
        Console.api("POST", action.path, body).then(function () {
          notice(root, Console.t(page, "done"), "good");
          reload();
        }).catch(function (error) { notice(root, String(error.message), "bad"); });
      }
      function press() {
        if (!action.confirm) { run(); return; }
        var box = el("div", { "class": "dialog", "data-testid": "confirm-" + id },
          el("p", null, action.confirm),
          el("button", { type: "button", "class": "action", "data-testid": "confirm-yes-" + id,
            onclick: function () { box.remove(); run(); } }, action.label),
          " ",
          el("button", { type: "button", "class": "secondary",
            onclick: function () { box.remove(); } }, Console.t(page, "cancel")));
        button.parentNode.appendChild(box);
      }
      var button = el("button", { type: "button", "data-testid": "action-" + id, onclick: press }, action.label);
      return el("span", { "class": "action-group" }, input ? [action.input.label, " ", input, " "] : null, button, " ");
    }));
  }

  function sectionBox(page, root, data, reload) {
    return el("section", { "class": "card", "data-testid": "section-" + data.section, "data-section": data.section },
      el("h3", null, data.title), facts(data), table(data), actions(page, root, data, reload));
  }

  function person(page, root, holder, userId, back) {
    holder.textContent = "";
    var card = el("div", { "data-testid": "person", "data-user": userId },
      el("button", { type: "button", "class": "secondary", "data-testid": "people-back", onclick: back }, Console.t(page, "back")),
      el("p", { "class": "muted" }, Console.t(page, "loading")));
    holder.appendChild(card);
    function load() {
      Console.api("GET", "users/" + encodeURIComponent(userId)).then(function (data) {
        while (card.childNodes.length > 1) { card.removeChild(card.lastChild); }
        var title = data.first_name + (data.username ? " @" + data.username : "") + " · " + data.id;
        card.appendChild(el("h2", { "data-testid": "person-title" }, title));
        card.appendChild(sectionBox(page, root, data, load));
        data.sections.forEach(function (section) {
          var box = el("section", { "class": "card", "data-testid": "section-" + section.id }, "…");
          card.appendChild(box);
          Console.api("GET", section.path).then(function (answer) {
            box.replaceWith(sectionBox(page, root, answer, load));
          }).catch(function (error) { box.textContent = String(error.message); box.className = "card bad"; });
        });
      }).catch(function (error) { notice(root, String(error.message), "bad"); });
    }
    load();
  }

  function results(page, root, holder, data, open) {
    holder.textContent = "";
    if (!data.users.length) {
      holder.appendChild(el("p", { "class": "muted", "data-testid": "people-none" }, Console.t(page, "none_found")));
      return;
    }
    holder.appendChild(el("ul", { "class": "results", "data-testid": "people-results" }, data.users.map(function (user) {
      return el("li", null, el("button", { type: "button", "class": "link", "data-testid": "people-result-" + user.id,
        onclick: function () { open(user.id); } },
        user.first_name + (user.username ? " @" + user.username : "") + " · " + user.id));
    })));
  }

  Console.register({
    id: "people",
    render: function (root, page) {
      var input = el("input", { type: "search", name: "q", placeholder: Console.t(page, "search"),
        "aria-label": Console.t(page, "search"), "data-testid": "people-search", size: 24 });
      var holder = el("div", { "data-testid": "people-body" });
      var last = null;
      function open(userId) { person(page, root, holder, userId, function () { if (last) { results(page, root, holder, last, open); } }); }
      function find(event) {
        if (event) { event.preventDefault(); }
        var q = input.value.trim();
        if (!q) { return; }
        Console.api("GET", "users?q=" + encodeURIComponent(q)).then(function (data) {
          last = data;
          if (data.users.length === 1) { open(data.users[0].id); return; }
          results(page, root, holder, data, open);
        }).catch(function (error) { notice(root, String(error.message), "bad"); });
      }
      root.appendChild(el("form", { "class": "search", "data-testid": "people-form", onsubmit: find }, input, " ",
        el("button", { type: "submit", "data-testid": "people-find" }, Console.t(page, "find"))));
      root.appendChild(holder);
    }
  });
})();
