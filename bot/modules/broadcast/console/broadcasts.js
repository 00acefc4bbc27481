/* The Broadcasts page: every broadcast (newest first) with who started it and when, its text,
   a progress bar and where its messages stand (delivered, blocked, failed, waiting, in flight);
   pause, resume and cancel, each after a confirmation. Polled every 3 seconds while shown. */
(function () {
  "use strict";
  var el = Console.el;

  function notice(root, text, kind) {
    var box = root.querySelector(".notice");
    if (!box) {
      box = el("div", { "class": "notice", role: "status", "data-testid": "broadcast-notice" });
      root.insertBefore(box, root.firstChild);
    }
    box.className = "notice " + (kind || "");
    box.textContent = text;
  }

  function finished(b) { return b.delivered + b.blocked + b.failed + b.skipped + b.cancelled; }

  function bar(b) {
    var done = finished(b);
    var node = el("progress", { max: Math.max(1, b.total), value: b.total ? done : 1,
      "data-testid": "broadcast-progress", "data-done": done, "data-total": b.total,
      "aria-label": done + " / " + b.total });
    node.style.width = "100%";
    return node;
  }

  function count(page, key, value, kind) {
    return el("span", { "data-count": key, "class": value && kind ? kind : "muted" },
      Console.t(page, key) + " " + value + "  ");
  }

  function counts(page, b) {
    return el("div", { "data-testid": "broadcast-counts" },
      count(page, "delivered", b.delivered, "good"), count(page, "blocked", b.blocked, "warn"),
      count(page, "failed", b.failed, "bad"), count(page, "waiting", b.waiting, ""),
      count(page, "in_flight", b.in_flight, ""),
      b.skipped ? count(page, "skipped", b.skipped, "") : null,
      b.cancelled ? count(page, "cancelled", b.cancelled, "") : null);
  }

  function stateKind(state) {
    return { running: "", paused: "warn", cancelled: "bad", finished: "good" }[state] || "";
  }

  function buttons(page, b, ask) {
    if (b.state === "finished" || b.state === "cancelled") { return null; }
    return el("div", { "class": "actions" },
      b.state === "paused" ?
        el("button", { type: "button", "data-testid": "broadcast-resume", "data-action": "resume",
          onclick: function () { ask("resume", b); } }, Console.t(page, "resume")) :
        el("button", { type: "button", "class": "secondary", "data-testid": "broadcast-pause",
          "data-action": "pause", onclick: function () { ask("pause", b); } }, Console.t(page, "pause")),
      el("button", { type: "button", "class": "secondary", "data-testid": "broadcast-cancel",
        "data-action": "cancel", onclick: function () { ask("cancel", b); } }, Console.t(page, "cancel")));
  }

  function row(page, b, ask) {
    var who = b.created_by.name ? b.created_by.name + " (" + b.created_by.id + ")" : String(b.created_by.id);
    return el("tr", { "data-testid": "broadcast-row", "data-broadcast": b.id, "data-state": b.state },
      el("td", null, el("strong", null, "#" + b.id),
        el("div", { "class": "muted" }, Console.when(b.created_at)),
        el("div", { "class": "muted", "data-testid": "broadcast-started-by" }, who)),
      el("td", null, el("pre", { "data-testid": "broadcast-text" }, b.preview), bar(b), counts(page, b)),
      el("td", null, el("span", { "class": stateKind(b.state), "data-testid": "broadcast-state" }, b.state_text),
        buttons(page, b, ask)));
  }

  function confirmBox(page, what, b, root, done) {
    var box = el("div", { "class": "dialog", "data-testid": "broadcast-confirm", "data-action": what,
      "data-broadcast": b.id, role: "alertdialog" },
      el("p", null, el("strong", null, "#" + b.id), " ", Console.t(page, "confirm_" + what)),
      el("div", null,
        el("button", { type: "button", "class": "action", "data-testid": "broadcast-confirm-yes", onclick: function () {
          Console.api("POST", "broadcasts/" + b.id + "/" + what, {}).then(function (now) {
            notice(root, "#" + b.id + ": " + now.state_text, "good");
            box.remove(); done();
          }).catch(function (error) { box.remove(); notice(root, String(error.message), "bad"); done(); });
        } }, Console.t(page, "confirm")),
        el("button", { type: "button", "class": "secondary", "data-testid": "broadcast-confirm-no",
          onclick: function () { box.remove(); } }, Console.t(page, "close"))));
    return box;
  }

  Console.register({
    id: "broadcasts",
    render: function (root, page) {
      var dialogs = el("div", { "class": "dialogs" });
      var body = el("tbody", { "data-testid": "broadcasts-list" });
      var empty = el("p", { "class": "muted", "data-testid": "broadcasts-empty", hidden: true }, Console.t(page, "none"));
      root.appendChild(dialogs);
      root.appendChild(el("div", { "class": "table" }, el("table", { id: "broadcasts" },
        el("thead", null, el("tr", null, el("th", null, Console.t(page, "broadcast")),
          el("th", null, ""), el("th", null, Console.t(page, "status")))),
        body)));
      root.appendChild(empty);

      function ask(what, b) {
        dialogs.textContent = "";
        dialogs.appendChild(confirmBox(page, what, b, root, refresh));
      }

      function refresh() {
        Console.api("GET", "broadcasts").then(function (data) {
          body.textContent = "";
          data.broadcasts.forEach(function (b) { body.appendChild(row(page, b, ask)); });
          empty.hidden = data.broadcasts.length > 0;
        }).catch(function (error) { notice(root, String(error.message), "bad"); });
      }
      refresh();
      Console.every(3000, refresh);
    }
  });
})();
