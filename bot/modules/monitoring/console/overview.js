/* The Overview page: health, instances, Redis, lanes, outbox, send rate, the last hour's
   429s and errors, updates waiting; polled every 5 seconds while shown. */
(function () {
  "use strict";
  var el = Console.el;

  function card(title, body, id) {
    return el("div", { "class": "card", id: id }, el("h3", null, title), body);
  }

  function word(page, value) { return Console.t(page, value); }

  function health(page, data) {
    var h = data.health;
    var kind = h.status === "ok" ? "good" : (h.status === "degraded" ? "warn" : "bad");
    return card(word(page, "health"), [
      el("div", { "class": "big " + kind, "data-status": h.status }, word(page, h.status)),
      (h.reasons || []).concat(h.degraded || []).map(function (r) { return el("div", { "class": "muted" }, r); })
    ], "health");
  }

  function instances(page, data) {
    var rows = data.instances.map(function (i) {
      return el("tr", { "data-role": i.role },
        el("td", null, i.host + ":" + i.pid, i["this"] ? el("span", { "class": "muted" }, " (" + word(page, "this") + ")") : null),
        el("td", { "class": i.role === "leader" ? "good" : "" }, word(page, i.role)),
        el("td", { "class": "hide-narrow muted" }, Console.when(i.heartbeat_at)));
    });
    return card(word(page, "instances"), el("div", { "class": "table" }, el("table", null,
      el("tr", null, el("th", null, ""), el("th", null, ""), el("th", { "class": "hide-narrow" }, word(page, "heartbeat"))),
      rows)), "instances");
  }

  function redis(page, data) {
    var state = data.redis.state;
    var kind = state === "ok" ? "good" : (state === "degraded" ? "bad" : "muted");
    return card(word(page, "redis"), [el("div", { "class": "big " + kind }, word(page, state)),
      data.redis.detail ? el("div", { "class": "muted" }, data.redis.detail) : null], "redis");
  }

  function figure(label, value, id) {
    return el("div", null, el("span", { "class": "big", id: id }, String(value)), " ", el("span", { "class": "muted" }, label));
  }

  function lanes(page, data) {
    return card(word(page, "lanes"), [
      figure(word(page, "interactive"), data.lanes.interactive, "lane-interactive"),
      figure(word(page, "bulk"), data.lanes.bulk, "lane-bulk")
    ], "lanes");
  }

  function outbox(page, data) {
    var cats = data.outbox.by_category;
    return card(word(page, "outbox"), [
      figure(word(page, "pending"), data.outbox.pending, "outbox-pending"),
      figure(word(page, "due"), data.outbox.due, "outbox-due"),
      Object.keys(cats).map(function (c) { return el("div", { "class": "muted" }, c + ": " + cats[c]); })
    ], "outbox");
  }

  function rate(page, data) {
    var r = data.rate;
    var kind = r.effective < r.limit ? "warn" : "good";
    return card(word(page, "rate"), [
      el("div", { "class": "big " + kind, id: "rate" }, r.effective + " / " + r.limit),
      el("div", { "class": "muted" }, word(page, "effective") + " / " + word(page, "limit") + ", " + word(page, "per_second"))
    ], "rate");
  }

  function lastHour(page, data) {
    var h = data.last_hour;
    return card(word(page, "last_hour"), [
      figure(word(page, "too_many"), h.too_many_requests, "too-many"),
      figure(word(page, "errors"), h.errors, "errors")
    ], "last-hour");
  }

  function updates(page, data) {
    var u = data.updates_waiting;
    return card(word(page, "updates"), [
      figure(word(page, "queued"), u.queued, "updates-queued"),
      figure(word(page, "handling"), u.handling, "updates-handling")
    ], "updates");
  }

  Console.register({
    id: "overview",
    render: function (root, page) {
      var grid = el("div", { "class": "cards" });
      var stamp = el("p", { "class": "muted", id: "updated" }, "…");
      root.appendChild(grid);
      root.appendChild(stamp);
      function refresh() {
        Console.api("GET", "overview").then(function (data) {
          grid.textContent = "";
          [health, instances, redis, lanes, outbox, rate, lastHour, updates].forEach(function (part) {
            grid.appendChild(part(page, data));
          });
          stamp.textContent = word(page, "updated") + ": " + Console.when(data.at);
        }).catch(function (error) {
          stamp.textContent = String(error.message || error);
          stamp.className = "bad";
        });
      }
      refresh();
      Console.every(5000, refresh);
    }
  });
})();
