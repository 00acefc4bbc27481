/* The Jobs page: every job with its schedule, next run, last status and duration, failure
   streak, paused or not; run now (with arguments), pause, resume; history with filters and
   a failed run's error and reference. Polled every 10 seconds while shown. */
(function () {
  "use strict";
  var el = Console.el;

  function seconds(value) { return value === null || value === undefined ? "—" : value.toFixed(2) + " s"; }

  function notice(root, text, kind) {
    var box = root.querySelector(".notice");
    if (!box) { box = el("div", { "class": "notice", role: "status" }); root.insertBefore(box, root.firstChild); }
    box.className = "notice " + (kind || "");
    box.textContent = text;
  }

  function lastCell(page, job) {
    if (!job.last) { return el("td", { "class": "muted" }, Console.t(page, "not_run")); }
    var kind = job.last.status === "succeeded" ? "good" : (job.last.status === "running" ? "" : "bad");
    return el("td", null, el("span", { "class": kind, "data-status": job.last.status }, job.last.status_text),
      " ", el("span", { "class": "muted" }, seconds(job.last.duration)),
      el("div", { "class": "muted hide-narrow" }, Console.when(job.last.started_at)));
  }

  function row(page, job, act) {
    var state = job.paused ? el("span", { "class": "warn" }, Console.t(page, "paused")) :
      (job.running ? el("span", null, Console.t(page, "running")) : null);
    return el("tr", { "data-job": job.name, "data-paused": job.paused ? "true" : "false" },
      el("td", null, el("strong", null, job.name), el("div", { "class": "muted hide-narrow" }, job.description)),
      el("td", { "class": "hide-narrow" }, job.schedule),
      el("td", null, job.next_text, state ? el("div", null, state) : null),
      lastCell(page, job),
      el("td", { "class": job.failure_streak ? "bad" : "muted", "data-streak": job.failure_streak }, String(job.failure_streak)),
      el("td", { "class": "actions" },
        el("button", { type: "button", "data-action": "run", onclick: function () { act("run", job); } }, Console.t(page, "run")),
        job.paused ?
          el("button", { type: "button", "data-action": "resume", onclick: function () { act("resume", job); } }, Console.t(page, "resume")) :
          el("button", { type: "button", "data-action": "pause", "class": "secondary", onclick: function () { act("pause", job); } }, Console.t(page, "pause")),
        el("button", { type: "button", "data-action": "history", "class": "secondary", onclick: function () { act("history", job); } }, Console.t(page, "history"))));
  }

  function runDialog(page, job, root, done) {
    var input = el("input", { type: "text", name: "args", placeholder: Object.keys(job.args).map(function (k) { return k + "=" + job.args[k]; }).join(" "), size: 30 });
    var box = el("div", { "class": "dialog", id: "run-dialog" },
      el("div", null, el("strong", null, job.name)),
      Object.keys(job.args).length ? el("label", null, Console.t(page, "args"), " ", input) : null,
      el("div", null,
        el("button", { type: "button", "class": "action", "data-action": "confirm-run", onclick: function () {
          Console.api("POST", "jobs/" + encodeURIComponent(job.name) + "/run", { args: input.value }).then(function () {
            notice(root, job.name + ": " + Console.t(page, "started"), "good");
            box.remove(); done();
          }).catch(function (error) { notice(root, String(error.message), "bad"); });
        } }, Console.t(page, "run")),
        el("button", { type: "button", "class": "secondary", onclick: function () { box.remove(); } }, Console.t(page, "close"))));
    return box;
  }

  function runsTable(page, runs) {
    if (!runs.length) { return el("p", { "class": "muted" }, Console.t(page, "no_runs")); }
    return el("div", { "class": "table" }, el("table", null,
      el("tr", null, el("th", null, Console.t(page, "ref")), el("th", null, Console.t(page, "status")),
        el("th", { "class": "hide-narrow" }, Console.t(page, "trigger")), el("th", null, Console.t(page, "duration")),
        el("th", null, "")),
      runs.map(function (run) {
        var failed = run.error !== null;
        return el("tr", { "data-run": run.id, "data-status": run.status },
          el("td", null, run.ref, el("div", { "class": "muted" }, Console.when(run.started_at))),
          el("td", { "class": failed ? "bad" : (run.status === "succeeded" ? "good" : "") }, run.status_text, " ×" + run.attempts),
          el("td", { "class": "hide-narrow" }, run.trigger_text),
          el("td", null, seconds(run.duration)),
          el("td", null, failed ? el("pre", { "class": "bad run-error" }, run.error) : (run.summary || "")));
      })));
  }

  function historyDialog(page, job, root) {
    var status = el("select", { name: "status" }, el("option", { value: "" }, Console.t(page, "all")),
      ["succeeded", "failed", "timed_out", "missed", "running"].map(function (s) { return el("option", { value: s }, s); }));
    var trigger = el("select", { name: "trigger" }, el("option", { value: "" }, Console.t(page, "all")),
      ["scheduled", "manual", "catchup"].map(function (s) { return el("option", { value: s }, s); }));
    var list = el("div", { "class": "runs" }, "…");
    function load() {
      var query = "?limit=50" + (status.value ? "&status=" + status.value : "") + (trigger.value ? "&trigger=" + trigger.value : "");
      Console.api("GET", "jobs/" + encodeURIComponent(job.name) + "/history" + query).then(function (data) {
        list.textContent = ""; list.appendChild(runsTable(page, data.runs));
      }).catch(function (error) { list.textContent = String(error.message); });
    }
    status.addEventListener("change", load);
    trigger.addEventListener("change", load);
    var box = el("div", { "class": "dialog", id: "history-dialog", "data-job": job.name },
      el("div", null, el("strong", null, Console.t(page, "history") + ": " + job.name), " ",
        el("button", { type: "button", "class": "secondary", onclick: function () { box.remove(); } }, Console.t(page, "close"))),
      el("div", null, Console.t(page, "status"), " ", status, " ", Console.t(page, "trigger"), " ", trigger),
      list);
    load();
    return box;
  }

  Console.register({
    id: "jobs",
    render: function (root, page) {
      var dialogs = el("div", { "class": "dialogs" });
      var body = el("tbody");
      var zone = el("p", { "class": "muted" });
      root.appendChild(dialogs);
      root.appendChild(el("div", { "class": "table" }, el("table", { id: "jobs", "class": "stack" },
        el("thead", null, el("tr", null, el("th", null, Console.t(page, "job")),
          el("th", { "class": "hide-narrow" }, Console.t(page, "schedule")), el("th", null, Console.t(page, "next")),
          el("th", null, Console.t(page, "last")), el("th", null, Console.t(page, "streak")), el("th", null, ""))),
        body)));
      root.appendChild(zone);

      function act(what, job) {
        dialogs.textContent = "";
        if (what === "run") { dialogs.appendChild(runDialog(page, job, root, refresh)); return; }
        if (what === "history") { dialogs.appendChild(historyDialog(page, job, root)); return; }
        Console.api("POST", "jobs/" + encodeURIComponent(job.name) + "/" + what, {}).then(refresh)
          .catch(function (error) { notice(root, String(error.message), "bad"); });
      }

      function refresh() {
        Console.api("GET", "jobs").then(function (data) {
          body.textContent = "";
          data.jobs.forEach(function (job) { body.appendChild(row(page, job, act)); });
          zone.textContent = data.timezone;
        }).catch(function (error) { notice(root, String(error.message), "bad"); });
      }
      refresh();
      Console.every(10000, refresh);
    }
  });
})();
