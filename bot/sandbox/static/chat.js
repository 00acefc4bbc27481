// The sandbox's chat page: each person's chat with the bot, the groups and the channel,
// following the sandbox world live (server-sent events from /api/events) and acting in it
// through /api/act. Message texts arrive as HTML the server made safe (bot/sandbox/render.py);
// every other text is set as text.
"use strict";

const state = {
  people: [], views: [], controls: {},
  items: new Map(),        // "chat:id" (or "s<seq>" for a service line) -> the item
  order: new Map(),        // chat -> [keys, oldest first]
  panes: new Map(),        // chat -> the pane's element
  lastSeq: 0,
  started: false,          // the first people event opened the panes asked for
};

const $ = (selector, root = document) => root.querySelector(selector);
const make = (tag, props = {}, ...children) => {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(element.dataset, value);
    else if (key === "text") element.textContent = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value);
  }
  element.append(...children);
  return element;
};

// -- talking to the sandbox -------------------------------------------------
async function act(body) {
  const said = $("#said");
  try {
    const response = await fetch("/api/act", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    said.textContent = answer.ok ? answer.said : answer.error;
    said.classList.toggle("bad", !answer.ok);
    return answer;
  } catch (error) {
    said.textContent = "the sandbox did not answer: " + error;
    said.classList.add("bad");
    return {ok: false};
  }
}

function listen() {
  const status = $("#status");
  const source = new EventSource("/api/events");
  source.onopen = () => { status.textContent = "live"; status.dataset.state = "live"; };
  source.onerror = () => { status.textContent = "reconnecting…"; status.dataset.state = "lost"; };
  source.onmessage = (event) => take(JSON.parse(event.data));
}

function take(event) {
  if (event.seq) {
    if (event.seq <= state.lastSeq) return;  // seen before a reconnection
    state.lastSeq = event.seq;
  }
  if (event.type === "people") return people(event);
  if (event.type === "toast") return toast(event);
  if (event.type === "deleted") return remove(`${event.chat}:${event.id}`, event.chat);
  const item = event.type === "service"
    ? {key: "s" + event.seq, chat: event.chat, service: event.text}
    : {key: `${event.message.chat}:${event.message.id}`, chat: event.message.chat, ...event.message};
  put(item);
}

// -- the messages -----------------------------------------------------------
function put(item) {
  const known = state.items.has(item.key);
  state.items.set(item.key, item);
  if (!known) {
    if (!state.order.has(item.chat)) state.order.set(item.chat, []);
    state.order.get(item.chat).push(item.key);
  }
  const pane = state.panes.get(item.chat);
  if (!pane) return;
  const list = $(".messages", pane);
  const old = list.querySelector(`[data-key="${item.key}"]`);
  const fresh = draw(item, pane);
  if (old) old.replaceWith(fresh);
  else {
    const bottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.append(fresh);
    if (bottom) list.scrollTop = list.scrollHeight;
  }
  keyboard(pane);
  startButton(pane);
}

function remove(key, chat) {
  const item = state.items.get(key);
  if (!item) return;
  state.items.delete(key);
  const keys = state.order.get(chat) || [];
  keys.splice(keys.indexOf(key), 1);
  const pane = state.panes.get(chat);
  if (pane) {
    const element = $(`.messages [data-key="${key}"]`, pane);
    if (element) element.remove();
    keyboard(pane);
  }
}

function draw(item, pane) {
  if (item.service) {
    return make("li", {class: "service", "data-testid": "service", dataset: {key: item.key}, text: item.service});
  }
  const mine = item.from === "person";
  const li = make("div", {
    class: "msg " + (mine ? "person" : "bot"),
    "data-testid": mine ? "person-message" : "message",
    dataset: {id: item.id, chat: item.chat},
  });
  if (mine && item.chat < 0) li.append(make("div", {class: "sender", text: item.name}));
  if (item.photo) li.append(make("img", {src: item.photo, alt: "photo", "data-testid": "photo"}));
  else if (item.photo === null && !mine) li.append(make("div", {class: "media", text: "🖼 photo " + (item.photo_name || "")}));
  else if (item.photo === "" && mine) li.append(make("div", {class: "media", text: "🖼 photo"}));
  if (item.document) {
    const box = make("div", {class: "document"}, "📄 ");
    box.append(item.document.url
      ? make("a", {href: item.document.url, download: item.document.name, "data-testid": "document", text: item.document.name})
      : make("span", {text: item.document.name}));
    li.append(box);
  }
  if (item.media) li.append(make("div", {class: "media", text: "(" + item.media + ")"}));
  if (item.invoice) li.append(invoice(item, pane));
  if (item.html) {
    const body = make("div", {class: "body", "data-testid": "text"});
    body.innerHTML = item.html;  // made safe by the server (render.py): allow-listed tags only
    li.append(body);
  }
  const time = new Date(item.date * 1000).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  li.append(make("div", {class: "meta", text: (item.edited ? "edited " : "") + time}));
  const wrap = make("li", {class: "item " + (mine ? "person" : "bot"), dataset: {key: item.key}}, li);
  if (item.inline) wrap.append(inline(item, pane));
  return wrap;
}

function invoice(item, pane) {
  const {title, description, amount, currency} = item.invoice;
  const price = currency === "XTR" ? `⭐ ${amount}` : `${amount} ${currency}`;
  return make("div", {class: "invoice", "data-testid": "invoice"},
    make("strong", {text: title}), make("div", {text: description}),
    make("div", {class: "amount", text: price}),
    make("button", {type: "button", "data-testid": "pay", text: "Pay " + price,
      onclick: () => act({action: "pay", user: actor(pane), chat: item.chat, id: item.id})}));
}

function inline(item, pane) {
  const box = make("div", {class: "inline", "data-testid": "inline-keyboard"});
  for (const row of item.inline) {
    const line = make("div", {class: "row"});
    for (const button of row) {
      if (button.url !== undefined) {
        line.append(make("a", {href: button.url || "#", target: "_blank", rel: "noopener noreferrer",
          "data-testid": "url-button", text: button.text + " ↗"}));
      } else if (button.data !== undefined) {
        line.append(make("button", {type: "button", "data-testid": "inline-button", text: button.text,
          onclick: () => act({action: "press", user: actor(pane), chat: item.chat, id: item.id, data: button.data})}));
      } else {
        line.append(make("button", {type: "button", disabled: "", text: button.text}));
      }
    }
    box.append(line);
  }
  return box;
}

function keyboard(pane) {
  const box = $(".keyboard", pane);
  box.replaceChildren();
  const keys = state.order.get(Number(pane.dataset.chat)) || [];
  for (let i = keys.length - 1; i >= 0; i--) {
    const item = state.items.get(keys[i]);
    if (!item || item.from !== "bot") continue;
    if (item.remove_keyboard) return;
    if (!item.keyboard) continue;
    for (const row of item.keyboard) {
      box.append(make("div", {class: "row"}, ...row.map((text) => make("button", {
        type: "button", "data-testid": "reply-button", text,
        onclick: () => say(pane, text),
      }))));
    }
    return;
  }
}

function startButton(pane) {
  const chat = Number(pane.dataset.chat);
  $(".start", pane).hidden = chat < 0 || (state.order.get(chat) || []).length > 0;
}

function toast(event) {
  const pane = state.panes.get(event.chat);
  if (!pane) return;
  const box = $(".toast", pane);
  box.textContent = event.text;
  box.hidden = false;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function say(pane, text) {
  return act({action: "send", user: actor(pane), chat: Number(pane.dataset.chat), text});
}

// -- the panes --------------------------------------------------------------
function actor(pane) {
  const chat = Number(pane.dataset.chat);
  return chat > 0 ? chat : Number($(".as select", pane).value);
}

function titleOf(chat) {
  const person = state.people.find((p) => p.id === chat);
  if (person) return [person.name, `id ${person.id}` + roles(person)];
  const view = state.views.find((v) => v.id === chat);
  return view ? [view.title, `${view.kind} · id ${view.id}`] : [`Chat ${chat}`, ""];
}

function roles(person) {
  const tags = [];
  if (person.admin) tags.push("admin");
  if (person.moderator) tags.push("moderator");
  if (person.subscriber) tags.push("VIP");
  if (person.blocked) tags.push("blocked the bot");
  return tags.length ? " · " + tags.join(", ") : "";
}

function open(chat) {
  if (state.panes.has(chat)) {
    state.panes.get(chat).scrollIntoView({behavior: "smooth", inline: "nearest"});
    return;
  }
  const pane = $("#pane-template").content.firstElementChild.cloneNode(true);
  pane.dataset.chat = chat;
  state.panes.set(chat, pane);
  $(".close", pane).addEventListener("click", () => close(chat));
  $(".compose", pane).addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.target.elements.text;
    if (!input.value.trim()) return;
    say(pane, input.value);
    input.value = "";
  });
  $(".start button", pane).addEventListener("click", () => say(pane, "/start"));
  $(".messages", pane).addEventListener("click", (event) => link(event, pane));
  if (chat < 0) {
    $(".as", pane).hidden = false;
    const view = state.views.find((v) => v.id === chat);
    if (view) pane.dataset.actor = view.actor;
    $(".as select", pane).addEventListener("change", (event) => { pane.dataset.actor = event.target.value; });
    actors(pane);
  }
  heading(pane);
  const list = $(".messages", pane);
  for (const key of state.order.get(chat) || []) list.append(draw(state.items.get(key), pane));
  const empty = $("#panes .empty");
  if (empty) empty.remove();
  $("#panes").append(pane);
  keyboard(pane);
  startButton(pane);
  list.scrollTop = list.scrollHeight;
  remember();
  $("#side").classList.remove("open");
}

function close(chat) {
  const pane = state.panes.get(chat);
  if (pane) pane.remove();
  state.panes.delete(chat);
  remember();
}

function heading(pane) {
  const [title, sub] = titleOf(Number(pane.dataset.chat));
  $(".title", pane).textContent = title;
  $(".sub", pane).textContent = sub;
}

// Who acts in a group's pane: the view's own (an admin, or a moderator in the moderators'
// chat) until someone else is chosen.
function actors(pane) {
  const select = $(".as select", pane);
  const wanted = Number(pane.dataset.actor || select.value);
  select.replaceChildren(...state.people.map((p) => make("option", {value: p.id, text: `${p.name} (${p.id})`})));
  if (!state.people.some((p) => p.id === wanted)) {
    select.prepend(make("option", {value: wanted, text: `User ${wanted}`}));
  }
  select.value = String(wanted);
}

// A link the sandbox made: the pane's person opens it (pays an invoice link; asks to join
// with an invite link, or joins).
function link(event, pane) {
  const anchor = event.target.closest("a[href]");
  if (anchor && /^https:\/\/t\.me\/[+$]sandbox/.test(anchor.href)) {
    event.preventDefault();
    act({action: "open_link", user: actor(pane), link: anchor.href});
  }
  const spoiler = event.target.closest(".tg-spoiler");
  if (spoiler) spoiler.classList.add("shown");
}

function remember() {
  const url = new URL(location.href);
  url.searchParams.set("open", [...state.panes.keys()].join(","));
  history.replaceState(null, "", url);
}

// -- the side panel ---------------------------------------------------------
function people(event) {
  const first = !state.started;
  state.started = true;
  state.people = event.people;
  state.views = event.views;
  state.controls = event.controls;
  const list = $("#people");
  const expanded = new Set([...list.querySelectorAll("details[open]")].map((d) => d.dataset.id));
  list.replaceChildren(...state.people.map((person) => personRow(person, expanded)));
  $("#views").replaceChildren(...state.views.map((view) => make("li", {"data-testid": "view"},
    make("span", {text: view.title}),
    make("button", {type: "button", "data-testid": "open-view", dataset: {kind: view.kind}, text: "Open",
      onclick: () => open(view.id)}))));
  controls(event.controls);
  $("#renewals").replaceChildren(...state.people.filter((p) => p.subscriber).map((p) => make("li", {},
    make("button", {type: "button", "data-testid": "renew", dataset: {user: p.id},
      text: `Renew ${p.name}'s subscription now`, onclick: () => act({action: "renew", user: p.id})}))));
  for (const pane of state.panes.values()) {
    heading(pane);
    if (Number(pane.dataset.chat) < 0) actors(pane);
  }
  if (first) firstPanes();
}

function personRow(person, expanded) {
  const details = make("details", {class: "person-row", "data-testid": "person", dataset: {id: person.id}});
  if (expanded.has(String(person.id))) details.open = true;
  const badges = [];
  if (person.admin) badges.push(make("span", {class: "badge admin", text: "admin"}));
  if (person.moderator && !person.admin) badges.push(make("span", {class: "badge", text: "moderator"}));
  if (person.subscriber) badges.push(make("span", {class: "badge", text: "VIP"}));
  if (person.blocked) badges.push(make("span", {class: "badge blocked", text: "blocked"}));
  details.append(make("summary", {},
    make("span", {class: "name", text: `${person.name} · ${person.id}`}), ...badges,
    make("button", {type: "button", "data-testid": "open-chat", text: "Chat",
      onclick: (event) => { event.preventDefault(); open(person.id); }})));
  const language = make("select", {"aria-label": "Telegram's language", "data-testid": "language",
    onchange: (event) => act({action: "language", user: person.id, language: event.target.value})});
  for (const code of state.controls.languages || []) language.append(make("option", {value: code, text: code}));
  language.value = person.language || "en";
  const zone = make("form", {onsubmit: (event) => {
    event.preventDefault();
    act({action: "timezone", user: person.id, zone: event.target.elements.zone.value});
  }}, make("input", {name: "zone", placeholder: "Europe/Kyiv or +5:45", "aria-label": "Time zone"}),
  make("button", {type: "submit", text: "Set zone"}));
  const block = make("button", {type: "button", "data-testid": "block",
    text: person.blocked ? "Unblock the bot" : "Block the bot",
    onclick: () => act({action: "block", user: person.id, blocked: !person.blocked})});
  details.append(make("div", {class: "more"},
    make("label", {}, "Telegram's language", language), zone, block));
  return details;
}

function controls(values) {
  const names = {fault_rate: "faults", delay: "delays", drop_rate: "drops"};
  for (const [name, choices] of Object.entries(names)) {
    const select = $("#" + name);
    if (!select.options.length) {
      for (const value of values[choices]) {
        const text = name === "delay" ? (value ? `${value} s` : "none") : (value ? `${Math.round(value * 100)} %` : "none");
        select.append(make("option", {value, text}));
      }
      select.addEventListener("change", () => act({action: "controls", [name]: Number(select.value)}));
    }
    select.value = String(values[name]);
  }
  $("#mission").disabled = !values.jobs;
  const add = $("#add-user select");
  if (!add.options.length) for (const code of values.languages) add.append(make("option", {value: code, text: code}));
}

function firstPanes() {
  const wanted = new URL(location.href).searchParams.get("open");
  const chats = wanted ? wanted.split(",").map(Number).filter((n) => n) : [state.people.find((p) => p.admin)?.id].filter(Boolean);
  for (const chat of chats) open(chat);
  if (!state.panes.size) $("#panes").append(make("p", {class: "empty", text: "Open a chat from the panel."}));
}

document.addEventListener("DOMContentLoaded", () => {
  $("#menu").addEventListener("click", () => {
    const side = $("#side");
    side.classList.toggle("open");
    $("#menu").setAttribute("aria-expanded", String(side.classList.contains("open")));
  });
  $("#add-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const answer = await act({action: "add_user", name: form.elements.name.value, language: form.elements.language.value});
    if (answer.ok) form.reset();
  });
  $("#mission").addEventListener("click", () => act({action: "mission"}));
  listen();
});
