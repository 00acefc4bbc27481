/* The Charts page: users (registered by each day's end, and new), missions completed and
   Stars revenue per day, for the last 7 to 365 days, drawn in the browser with uPlot
   (vendored beside this file: uplot-1.6.32.min.js, MIT, see uplot-LICENSE). A day with no
   figures is a gap, never a zero. Stable hooks for tests: data-testid="charts-days",
   "chart-users", "chart-missions", "chart-revenue", "total-users", "total-users-new",
   "total-missions", "total-revenue", "charts-updated", "charts-table", "charts-empty",
   "charts-error". */
(function () {
  "use strict";
  var el = Console.el;
  var BASE = "/console/static/analytics/";
  var PERIODS = [7, 30, 90, 365];
  var loading = null;

  function loadUPlot() {
    if (window.uPlot) { return Promise.resolve(window.uPlot); }
    if (loading) { return loading; }
    loading = new Promise(function (resolve, reject) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = BASE + "uplot-1.6.32.min.css";
      document.head.appendChild(css);
      var script = document.createElement("script");
      script.src = BASE + "uplot-1.6.32.min.js";
      script.onload = function () { resolve(window.uPlot); };
      script.onerror = function () { loading = null; reject(new Error("uPlot did not load")); };
      document.head.appendChild(script);
    });
    return loading;
  }

  function colour(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function sum(values) {
    return values.reduce(function (total, v) { return v === null ? total : total + v; }, 0);
  }

  function last(values) {
    for (var i = values.length - 1; i >= 0; i--) { if (values[i] !== null) { return values[i]; } }
    return null;
  }

  // Days as seconds at UTC midnight, shown in UTC: a day is the bot's day, whatever the reader's zone.
  function seconds(days) { return days.map(function (d) { return Date.parse(d + "T00:00:00Z") / 1000; }); }

  function options(uPlot, width, lines) {
    var axis = colour("--hint", "#6d6d72");
    var grid = colour("--card", "#f1f1f4");
    return {
      width: width, height: Math.max(160, Math.min(260, Math.round(width * 0.45))),
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: function (u, lo, hi) { return [Math.min(0, lo || 0), Math.max(1, hi || 0)]; } } },
      axes: [
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, size: 48 }
      ],
      series: [{}].concat(lines.map(function (line) {
        var spec = { label: line.label, stroke: line.colour, width: 2, spanGaps: false,
          points: { show: line.bars ? false : true, size: 4 } };
        if (line.bars) { spec.fill = line.colour; spec.paths = uPlot.paths.bars({ size: [0.7, 40] }); }
        return spec;
      }))
    };
  }

  function chart(uPlot, box, xs, lines) {
    box.textContent = "";
    var width = Math.max(280, box.clientWidth || 320);
    var data = [xs].concat(lines.map(function (line) { return line.values; }));
    return new uPlot(options(uPlot, width, lines), data, box);
  }

  function figure(label, value, testid) {
    return el("div", null, el("span", { "class": "big", "data-testid": testid },
      value === null ? "—" : String(value)), " ", el("span", { "class": "muted" }, label));
  }

  function card(title, testid, figures) {
    var box = el("div", { "class": "chart", "data-testid": testid });
    return { node: el("div", { "class": "card" }, el("h3", null, title), figures, box), box: box };
  }

  function table(page, data) {
    var s = data.series;
    var names = ["users_total", "users_new", "missions_completed", "stars_revenue"];
    var head = el("tr", null, el("th", null, ""), names.map(function (n) { return el("th", null, Console.t(page, n)); }));
    var rows = s.day.slice().reverse().map(function (day, back) {
      var i = s.day.length - 1 - back;
      return el("tr", { "data-day": day }, el("td", null, day), names.map(function (n) {
        return el("td", { "data-figure": n }, s[n][i] === null ? "—" : String(s[n][i]));
      }));
    });
    return el("details", { "data-testid": "charts-table" }, el("summary", { "class": "muted" }, Console.t(page, "table")),
      el("div", { "class": "table" }, el("table", null, head, rows)));
  }

  function draw(root, page, data, uPlot) {
    var s = data.series, xs = seconds(s.day);
    var known = ["users_total", "users_new", "missions_completed", "stars_revenue"].some(function (n) {
      return s[n].some(function (v) { return v !== null; });
    });
    if (!known) {
      root.appendChild(el("p", { "class": "muted", "data-testid": "charts-empty" }, Console.t(page, "no_data")));
      return;
    }
    var link = colour("--link", "#2481cc"), good = "#2e9e5b", warn = "#c98a00";
    var users = card(Console.t(page, "users"), "chart-users", [
      figure(Console.t(page, "users_total"), last(s.users_total), "total-users"),
      figure(Console.t(page, "users_new") + ", " + Console.t(page, "total"), sum(s.users_new), "total-users-new")]);
    var missions = card(Console.t(page, "missions"), "chart-missions",
      figure(Console.t(page, "total"), sum(s.missions_completed), "total-missions"));
    var revenue = card(Console.t(page, "revenue"), "chart-revenue",
      figure(Console.t(page, "total"), sum(s.stars_revenue), "total-revenue"));
    [users, missions, revenue].forEach(function (c) { root.appendChild(c.node); });
    root.appendChild(el("p", { "class": "muted" }, Console.t(page, "gaps")));
    root.appendChild(table(page, data));
    var plots = [
      [users.box, [{ label: Console.t(page, "users_total"), values: s.users_total, colour: link },
        { label: Console.t(page, "users_new"), values: s.users_new, colour: good, bars: true }]],
      [missions.box, [{ label: Console.t(page, "missions_completed"), values: s.missions_completed, colour: good, bars: true }]],
      [revenue.box, [{ label: Console.t(page, "stars_revenue"), values: s.stars_revenue, colour: warn, bars: true }]]
    ];
    var drawn = plots.map(function (p) { return chart(uPlot, p[0], xs, p[1]); });
    function resize() {
      if (!document.body.contains(root)) { window.removeEventListener("resize", resize); return; }
      drawn.forEach(function (plot, i) {
        var width = Math.max(280, plots[i][0].clientWidth || 320);
        plot.setSize({ width: width, height: Math.max(160, Math.min(260, Math.round(width * 0.45))) });
      });
    }
    window.addEventListener("resize", resize);
  }

  Console.register({
    id: "charts",
    render: function (root, page) {
      var wanted = 30;
      try { wanted = parseInt(sessionStorage.getItem("console.charts.days"), 10) || 30; } catch (e) { /* none */ }
      if (PERIODS.indexOf(wanted) < 0) { wanted = 30; }
      var select = el("select", { "data-testid": "charts-days", "aria-label": Console.t(page, "period") },
        PERIODS.map(function (n) { return el("option", { value: n, selected: n === wanted }, n + " " + Console.t(page, "days")); }));
      var stamp = el("span", { "class": "muted", "data-testid": "charts-updated" }, "");
      var body = el("div", { "class": "charts" });
      root.appendChild(el("p", null, el("label", null, Console.t(page, "period") + " ", select), " ", stamp));
      root.appendChild(body);
      function load() {
        var days = parseInt(select.value, 10);
        try { sessionStorage.setItem("console.charts.days", String(days)); } catch (e) { /* private mode */ }
        body.textContent = "";
        body.appendChild(el("p", { "class": "muted" }, "…"));
        Promise.all([Console.api("GET", "charts?days=" + days), loadUPlot()]).then(function (got) {
          body.textContent = "";
          body.dataset.days = String(got[0].days);
          stamp.textContent = got[0].updated_at ? Console.t(page, "updated") + " " + Console.when(got[0].updated_at) : "";
          draw(body, page, got[0], got[1]);
        }).catch(function (error) {
          body.textContent = "";
          body.appendChild(el("p", { "class": "bad", "data-testid": "charts-error" }, String(error.message || error)));
        });
      }
      select.addEventListener("change", load);
      load();
    }
  });
})();
