/* The Moderation page: suggestions waiting for review, oldest first, with their text, media
   kind, author and when; approve (now's next free slot, or a time as /approve takes it),
   reject with one of the configured reasons (as the card's buttons), ban the author (after
   a confirmation). The first decision wins, here or in the chat: the other is told who
   made it. Polled every 10 seconds while shown.

   Stable hooks for tests: data-testid="moderation-queue" | "moderation-empty" |
   "moderation-total" | "moderation-notice" (data-kind good|bad) | "suggestion" (data-id) |
   "suggestion-kind" | "suggestion-author" | "suggestion-since" | "suggestion-text" |
   "approve-time" | "approve" | "reject" (data-reason = the reason's index) | "ban" |
   "ban-confirm" | "ban-cancel". */
(function () {
  "use strict";
  var el = Console.el;

  function notice(root, text, kind) {
    var box = root.querySelector("[data-testid=moderation-notice]");
    if (!box) {
      box = el("div", { "class": "notice", role: "status", "data-testid": "moderation-notice" });
      root.insertBefore(box, root.firstChild);
    }
    box.className = "notice " + (kind || "");
    box.dataset.kind = kind || "";
    box.textContent = text;
  }

  function head(page, item) {
    var kind = el("span", { "data-testid": "suggestion-kind", "data-kind": item.kind,
      "class": item.kind === "text" ? "muted" : "warn" }, Console.t(page, item.kind));
    var from = Console.t(page, "from").replace("{author}", item.author);
    return el("div", null,
      el("strong", null, "#" + item.id), " ", kind, " ",
      el("span", { "data-testid": "suggestion-author", title: "id " + item.author_id }, from),
      el("div", { "class": "muted", "data-testid": "suggestion-since" }, Console.when(item.created_at)));
  }

  function item(page, entry, reasons, times, act) {
    var time = el("input", { type: "text", name: "time", "data-testid": "approve-time", size: 16,
      value: times[entry.id] || "", placeholder: "+2h", "aria-label": Console.t(page, "when"),
      title: Console.t(page, "when") });
    time.addEventListener("input", function () { times[entry.id] = time.value; });
    var confirmBox = el("div", { "class": "dialog", hidden: true },
      el("div", null, Console.t(page, "confirm_ban")),
      el("button", { type: "button", "class": "action", "data-testid": "ban-confirm",
        onclick: function () { act(entry, "ban", {}); } }, Console.t(page, "ban")),
      el("button", { type: "button", "class": "action secondary", "data-testid": "ban-cancel",
        onclick: function () { confirmBox.hidden = true; } }, Console.t(page, "no")));
    return el("div", { "class": "card", "data-testid": "suggestion", "data-id": entry.id },
      head(page, entry),
      el("pre", { "data-testid": "suggestion-text" }, entry.text),
      el("div", { "class": "actions" },
        time,
        el("button", { type: "button", "data-testid": "approve",
          onclick: function () { act(entry, "approve", time.value.trim() ? { time: time.value.trim() } : {}); } },
          Console.t(page, "approve")),
        el("button", { type: "button", "class": "secondary", "data-testid": "ban",
          onclick: function () { confirmBox.hidden = false; } }, Console.t(page, "ban"))),
      el("div", { "class": "actions" },
        el("span", { "class": "muted" }, Console.t(page, "reject") + ":"),
        reasons.map(function (reason) {
          return el("button", { type: "button", "class": "secondary", "data-testid": "reject",
            "data-reason": reason.index, onclick: function () { act(entry, "reject", { reason: reason.index }); } },
            "❌ " + reason.text);
        })),
      confirmBox);
  }

  Console.register({
    id: "moderation",
    render: function (root, page) {
      var times = {};
      var total = el("p", { "class": "muted", "data-testid": "moderation-total" });
      var list = el("div", { "class": "cards", "data-testid": "moderation-queue" }, "…");
      root.appendChild(total);
      root.appendChild(list);

      function act(entry, what, body) {
        Array.prototype.forEach.call(list.querySelectorAll("[data-id='" + entry.id + "'] button"),
          function (button) { button.disabled = true; });
        Console.api("POST", "moderation/" + entry.id + "/" + what, body).then(function (done) {
          delete times[entry.id];
          notice(root, done.message, "good");
          refresh();
        }).catch(function (error) {
          notice(root, String(error.message), "bad");
          refresh();
        });
      }

      function refresh() {
        Console.api("GET", "moderation/queue").then(function (data) {
          list.textContent = "";
          if (!data.queue.length) {
            total.textContent = "";
            list.appendChild(el("p", { "class": "muted", "data-testid": "moderation-empty" }, Console.t(page, "empty")));
            return;
          }
          total.textContent = Console.t(page, "waiting") + " " + data.total;
          data.queue.forEach(function (entry) { list.appendChild(item(page, entry, data.reasons, times, act)); });
          if (data.total > data.queue.length) {
            list.appendChild(el("p", { "class": "muted" },
              Console.t(page, "more").replace("{count}", String(data.total - data.queue.length))));
          }
        }).catch(function (error) { notice(root, String(error.message), "bad"); });
      }
      refresh();
      Console.every(10000, refresh);
    }
  });
})();
