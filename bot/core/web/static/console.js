/* The console's page shell: authentication, tabs, and the small API page scripts use.
 *
 *   Console.register({id, render(el, page)})  a page script registers itself
 *   Console.api(method, path, body)           JSON from /console/api/<path> (throws on errors)
 *   Console.t(page, key)                      the page's texts, in the admin's language
 *   Console.every(ms, fn)                     a short poll while the page is shown
 *   Console.el(tag, attrs, ...children)       a DOM element (text is never parsed as HTML)
 *   Console.when(iso)                         a date and time in the reader's locale
 *
 * In Telegram (a Mini App) the signed initData (Authorization: tma) is traded once for a
 * session cookie, so a console left open keeps working after the initData's age runs out;
 * in a browser the session cookie from a login link does. Cookie calls carry the CSRF token
 * on changes. Where no cookie can be had, every call carries the initData.
 * Vanilla JS, no build step. */
(function () {
  "use strict";

  var state = { me: null, pages: {}, scripts: {}, current: null, timers: [], csrf: null,
    mode: null };

  function hashParams() {
    var hash = window.location.hash.replace(/^#/, "");
    var found = {};
    hash.split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at > 0) {
        try { found[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1)); }
        catch (e) { /* a malformed part is ignored */ }
      }
    });
    return found;
  }

  var fromHash = hashParams();
  function webApp() { return (window.Telegram && window.Telegram.WebApp) || null; }
  function initData() {
    var app = webApp();
    return (app && app.initData) || fromHash.tgWebAppData || "";
  }

  function applyTheme() {
    var app = webApp();
    var params = (app && app.themeParams) || null;
    if (!params && fromHash.tgWebAppThemeParams) {
      try { params = JSON.parse(fromHash.tgWebAppThemeParams); } catch (e) { params = null; }
    }
    if (!params) { return; }
    var root = document.documentElement.style;
    Object.keys(params).forEach(function (key) {
      if (/^[a-z_]+$/.test(key) && typeof params[key] === "string") {
        root.setProperty("--tg-theme-" + key.replace(/_/g, "-"), params[key]);
      }
    });
    if (app && app.colorScheme) { document.documentElement.dataset.scheme = app.colorScheme; }
  }

  function apiPath(path) {
    return path.indexOf("/console/api/") === 0 ? path : "/console/api/" + path.replace(/^\/+/, "");
  }

  function mode() { return state.mode || (initData() ? "tma" : "cookie"); }

  function api(method, path, body, how) {
    var headers = { "Accept": "application/json" };
    if ((how || mode()) === "tma") {
      headers["Authorization"] = "tma " + initData();
    } else if (method !== "GET" && state.csrf) {
      headers["X-CSRF-Token"] = state.csrf;
    }
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined && method !== "GET") {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(apiPath(path), options).then(function (response) {
      return response.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = { error: text }; }
        if (!response.ok) {
          var error = new Error((parsed && parsed.error) || response.statusText);
          error.status = response.status;
          error.body = parsed;
          throw error;
        }
        return parsed;
      });
    });
  }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key.indexOf("on") === 0 && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else if (key === "class") {
        node.className = value;
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    });
    for (var i = 2; i < arguments.length; i++) { append(node, arguments[i]); }
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  function when(iso) {
    if (!iso) { return "—"; }
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return String(iso); }
    var language = (state.me && state.me.language) || undefined;
    return date.toLocaleString(language, { dateStyle: "short", timeStyle: "short" });
  }

  function t(page, key) {
    var texts = (page && page.texts) || {};
    return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  }

  function stopTimers() {
    state.timers.forEach(function (timer) { clearInterval(timer); });
    state.timers = [];
  }

  function every(ms, fn) {
    var shown = state.current;
    var timer = setInterval(function () {
      if (state.current !== shown) { clearInterval(timer); return; }
      if (!document.hidden) { fn(); }
    }, Math.max(1000, ms));
    state.timers.push(timer);
    return timer;
  }

  function status(text, kind) {
    var main = document.getElementById("page");
    main.textContent = "";
    main.appendChild(el("p", { "class": kind || "muted", id: "status" }, text));
  }

  function show(id) {
    var page = state.me && state.me.pages.filter(function (p) { return p.id === id; })[0];
    if (!page) { return; }
    stopTimers();
    state.current = id;
    try { sessionStorage.setItem("console.page", id); } catch (e) { /* private mode */ }
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (button) {
      if (button.dataset.page === id) { button.setAttribute("aria-current", "page"); }
      else { button.removeAttribute("aria-current"); }
    });
    var main = document.getElementById("page");
    main.textContent = "";
    main.dataset.page = id;
    var registered = state.pages[id];
    if (!registered) {
      loadScript(page);
      main.appendChild(el("p", { "class": "muted" }, "…"));
      return;
    }
    var root = el("section", { "class": "page-body", id: "page-" + id });
    main.appendChild(root);
    try { registered.render(root, page); }
    catch (e) { main.appendChild(el("p", { "class": "bad" }, String(e))); }
  }

  function loadScript(page) {
    if (state.scripts[page.id]) { return; }
    state.scripts[page.id] = true;
    var script = document.createElement("script");
    script.src = page.script;
    script.onerror = function () { status("The page's script did not load: " + page.script, "bad"); };
    document.head.appendChild(script);
  }

  function register(page) {
    if (!page || !page.id || typeof page.render !== "function") { return; }
    state.pages[page.id] = page;
    if (state.current === page.id) { show(page.id); }
  }

  function tabs(pages) {
    var nav = document.getElementById("tabs");
    nav.textContent = "";
    pages.forEach(function (page) {
      nav.appendChild(el("button", { type: "button", "data-page": page.id,
        onclick: function () { show(page.id); } }, page.title));
    });
  }

  function chosenPage(pages) {
    var wanted = new URLSearchParams(window.location.search).get("page");
    try { wanted = wanted || sessionStorage.getItem("console.page"); } catch (e) { /* none */ }
    var ids = pages.map(function (p) { return p.id; });
    return ids.indexOf(wanted) >= 0 ? wanted : ids[0];
  }

  // In a Mini App: trade the initData for a session cookie (once per sign-in; a reload of
  // the same Mini App finds its cookie instead); without either, every call signs with it.
  function signIn() {
    if (!initData()) { state.mode = "cookie"; return Promise.resolve(); }
    return api("POST", "session", {}, "tma").then(function (opened) {
      state.csrf = opened && opened.csrf;
      state.mode = "cookie";
    }).catch(function () {
      return api("GET", "me", undefined, "cookie").then(function (me) {
        state.mode = me && me.csrf ? "cookie" : "tma";
      }).catch(function () { state.mode = "tma"; });
    });
  }

  function start() {
    applyTheme();
    var app = webApp();
    if (app) {
      if (app.ready) { app.ready(); }
      if (app.expand) { app.expand(); }
    }
    signIn().then(function () { return api("GET", "me"); }).then(function (me) {
      state.me = me;
      state.csrf = me.csrf || state.csrf || null;
      document.documentElement.lang = me.language || "en";
      if (!me.pages.length) { status("—"); return; }
      tabs(me.pages);
      show(chosenPage(me.pages));
    }).catch(function (error) {
      if (error.status === 401) {
        status("Not signed in, or the sign-in expired: send /console to the bot and open its button or link again.", "bad");
      } else if (error.status === 403) {
        status("The console is for the bot's admins.", "bad");
      } else {
        status(String(error.message || error), "bad");
      }
    });
  }

  window.Console = { register: register, api: api, t: t, every: every, el: el, when: when,
    show: show, get me() { return state.me; } };

  // Opened inside Telegram without the Mini App script: load Telegram's own (ready, expand,
  // theme changes); a page opened in a browser, or with a stand-in, does without.
  if (fromHash.tgWebAppData && !webApp()) {
    var tg = document.createElement("script");
    tg.src = "https://telegram.org/js/telegram-web-app.js";
    tg.onload = function () {
      applyTheme();
      var loaded = webApp();
      if (loaded && loaded.onEvent) { loaded.onEvent("themeChanged", applyTheme); }
    };
    document.head.appendChild(tg);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
