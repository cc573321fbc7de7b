// Lapor Netral Mini App. Plain JavaScript, no build step, nothing from outside this server.
// Telegram's client opens this page with its launch parameters in the URL fragment
// (#tgWebAppData=…&tgWebAppThemeParams=…); we read them ourselves instead of loading telegram-web-app.js.
"use strict";

(function () {
  const state = {
    token: null,
    initData: null,
    locale: "id",
    strings: {},
    me: null,
    tab: "queue",
    filters: { state: "open", region: "", category: "", from: "", to: "", q: "" },
    page: 0,
    items: [],
    selected: new Map(), // report id -> state code the row was drawn with
    bulkKind: null,
    report: null,
    blobs: [],
  };

  // ------------------------------------------------------------------ Telegram's side

  function launchParams() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    return { initData: params.get("tgWebAppData"), theme: params.get("tgWebAppThemeParams") };
  }

  function postEvent(type, data) {
    // The three bridges Telegram's clients provide: mobile webviews, desktop, and Telegram Web's iframe.
    const payload = data === undefined ? "" : JSON.stringify(data);
    try {
      if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
        window.TelegramWebviewProxy.postEvent(type, payload);
      } else if (window.external && typeof window.external.notify === "function") {
        window.external.notify(JSON.stringify({ eventType: type, eventData: data }));
      } else if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data }), "https://web.telegram.org");
      }
    } catch (err) {
      /* outside Telegram: nothing to tell */
    }
  }

  function applyTheme(raw) {
    if (!raw) return;
    let theme;
    try { theme = JSON.parse(raw); } catch (err) { return; }
    const map = { bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
      button_color: "--button", button_text_color: "--button-text", secondary_bg_color: "--card" };
    let used = false;
    for (const [key, variable] of Object.entries(map)) {
      const value = theme && theme[key];
      if (typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value)) {
        document.documentElement.style.setProperty(variable, value);
        used = true;
      }
    }
    if (used) document.documentElement.classList.add("themed");
  }

  // ------------------------------------------------------------------ text

  function tr(key, values) {
    let text = state.strings[key];
    if (text === undefined) return key;
    if (values) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
    return text;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Telegram HTML (the card, the history, the summary's lines) rebuilt from an inert parse: only these
  // tags survive, only https links keep their href; everything else becomes its text.
  const ALLOWED = { B: "b", STRONG: "b", I: "i", EM: "i", U: "u", INS: "u", S: "s", DEL: "s", STRIKE: "s",
    CODE: "code", PRE: "pre", A: "a", BLOCKQUOTE: "blockquote" };

  function telegramHtml(html) {
    const doc = new DOMParser().parseFromString("<!doctype html><body>" + html, "text/html");
    const out = document.createDocumentFragment();
    function copy(from, to) {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          to.append(document.createTextNode(node.data));
        } else if (node.nodeType === Node.ELEMENT_NODE) {
          const tag = ALLOWED[node.tagName];
          if (!tag) { copy(node, to); continue; }
          const made = document.createElement(tag);
          if (tag === "a") {
            const href = node.getAttribute("href") || "";
            if (/^https:\/\//i.test(href)) {
              made.setAttribute("href", href);
              made.setAttribute("target", "_blank");
              made.setAttribute("rel", "noopener noreferrer");
            }
          }
          copy(node, made);
          to.append(made);
        }
      }
    }
    copy(doc.body, out);
    return out;
  }

  function setStatus(text, bad) {
    const node = document.getElementById("status");
    node.textContent = text || "";
    node.classList.toggle("error", !!bad);
  }

  let toastTimer = null;
  function toast(text, bad) {
    const node = document.getElementById("toast");
    node.textContent = text;
    node.classList.toggle("bad", !!bad);
    placeToast();
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(hideToast, 4000);
  }

  function hideToast() {
    clearTimeout(toastTimer);
    document.getElementById("toast").hidden = true;
  }

  // At the foot of the screen (app.css), but above the bulk bar while it is open: the bar's height changes
  // with the move chosen and the phone's safe area, so it is measured, not guessed.
  function placeToast() {
    const bar = document.getElementById("bulk");
    document.getElementById("toast").style.bottom = bar && !bar.hidden ? (bar.offsetHeight + 12) + "px" : "";
  }

  // ------------------------------------------------------------------ the server

  async function loadStrings(locale) {
    const response = await fetch("i18n/" + locale + ".json", { credentials: "same-origin" });
    state.strings = await response.json();
    state.locale = locale;
    document.documentElement.lang = locale;
  }

  async function signIn() {
    const response = await fetch("api/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Lang": state.locale },
      body: JSON.stringify({ initData: state.initData }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Refused(body.message || tr("miniapp.signin_failed"), response.status);
    state.token = body.token;
    return body;
  }

  class Refused extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  async function api(path, options, retried) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ "X-Lang": state.locale, Authorization: "Bearer " + state.token }, opts.headers || {});
    if (opts.json !== undefined) {
      opts.method = opts.method || "POST";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    const response = await fetch(path, opts);
    if (response.status === 401 && !retried && state.initData) {
      await signIn();
      return api(path, options, true);
    }
    return response;
  }

  async function apiJson(path, options) {
    const response = await api(path, options);
    const body = await response.json().catch(() => ({}));
    if (!response.ok && !(response.status === 409 && body.result)) {
      throw new Refused(body.message || tr("miniapp.error"), response.status);
    }
    return body;
  }

  // ------------------------------------------------------------------ chrome

  function renderChrome() {
    document.title = tr("miniapp.app_title");
    document.getElementById("title").textContent = tr("miniapp.app_title");
    const lang = document.getElementById("lang");
    lang.textContent = tr("miniapp.language_switch");
    lang.hidden = false;
    const tabs = document.getElementById("tabs");
    const queueTab = document.getElementById("tab-queue");
    queueTab.textContent = tr("miniapp.tab_queue");
    document.getElementById("tab-dashboard").textContent = tr("miniapp.tab_dashboard");
    queueTab.hidden = !state.me.triage;
    tabs.hidden = !state.me.triage;
    for (const button of tabs.querySelectorAll("button")) {
      button.setAttribute("aria-selected", String(button.dataset.tab === state.tab));
    }
    const scope = document.getElementById("scope");
    scope.textContent = state.me.name + " · " + state.me.scope;
    scope.hidden = false;
  }

  function clearBlobs() {
    for (const url of state.blobs) URL.revokeObjectURL(url);
    state.blobs = [];
  }

  function show(...nodes) {
    clearBlobs();
    const view = document.getElementById("view");
    view.replaceChildren(...nodes.filter((node) => node !== null && node !== undefined && node !== false));
    document.body.classList.remove("bulk-open");
  }

  // ------------------------------------------------------------------ the queue

  function options(list, selected, first) {
    const out = [];
    if (first) out.push(el("option", { value: first[0], text: first[1] }));
    for (const item of list) out.push(el("option", { value: item.value, text: item.label, selected: item.value === selected }));
    return out;
  }

  function filterForm() {
    const f = state.filters;
    const stateSelect = el("select", { name: "state", id: "f-state" },
      el("option", { value: "open", text: tr("miniapp.filter_open"), selected: f.state === "open" }),
      el("option", { value: "", text: tr("miniapp.filter_all"), selected: f.state === "" }),
      ...options(state.me.states, f.state));
    const region = el("select", { name: "region", id: "f-region" },
      ...options(state.me.regions, f.region, ["", tr("miniapp.filter_all")]));
    const category = el("select", { name: "category", id: "f-category" },
      ...options(state.me.categories, f.category, ["", tr("miniapp.filter_all")]));
    const from = el("input", { type: "date", name: "from", id: "f-from", value: f.from });
    const to = el("input", { type: "date", name: "to", id: "f-to", value: f.to });
    const text = el("input", { type: "search", name: "q", id: "f-q", value: f.q, placeholder: tr("miniapp.filter_text_hint"), maxlength: 200 });
    const form = el("form", { class: "filters", onsubmit: (event) => {
      event.preventDefault();
      state.filters = { state: stateSelect.value, region: region.value, category: category.value, from: from.value, to: to.value, q: text.value };
      state.page = 0;
      loadQueue();
    } },
    el("label", {}, tr("miniapp.filter_state"), stateSelect),
    el("label", {}, tr("miniapp.filter_category"), category),
    el("label", { class: "wide" }, tr("miniapp.filter_region"), region),
    el("label", {}, tr("miniapp.filter_from"), from),
    el("label", {}, tr("miniapp.filter_to"), to),
    el("label", { class: "wide" }, tr("miniapp.filter_text"), text),
    el("div", { class: "row wide" },
      el("button", { class: "primary", type: "submit", id: "apply", text: tr("miniapp.filter_apply") }),
      el("button", { class: "secondary", type: "button", text: tr("miniapp.filter_reset"), onclick: () => {
        state.filters = { state: "open", region: "", category: "", from: "", to: "", q: "" };
        state.page = 0;
        loadQueue();
      } })));
    // Folded on a phone once the list is what matters; open while a filter is set, so it shows.
    const active = f.state !== "open" || f.region || f.category || f.from || f.to || f.q;
    return el("details", { class: "filter-box", id: "filters", open: !!active },
      el("summary", { id: "filters-toggle", text: tr("miniapp.filters") }), form);
  }

  function badge(item) {
    if (item.deadline_status === "closed") return null;
    let text = tr("miniapp.badge_days", { days: item.days_left });
    let kind = "dl-" + item.deadline_status;
    if (item.days_left === 0) text = tr("miniapp.badge_today");
    if (item.days_left < 0) { text = tr("miniapp.badge_past"); kind = "dl-past"; }
    return el("span", { class: "badge " + kind, title: tr("miniapp.deadline_on", { date: item.deadline_text }), text });
  }

  function queueRow(item) {
    const box = el("input", { type: "checkbox", "aria-label": tr("miniapp.select", { code: item.code }), "data-id": item.id,
      checked: state.selected.has(item.id), onchange: (event) => {
        if (event.target.checked) state.selected.set(item.id, item.state_code);
        else state.selected.delete(item.id);
        renderBulk();
      } });
    const open = el("button", { type: "button", class: "open", "data-code": item.code, onclick: () => openReport(item.id) },
      el("span", { class: "line1" }, el("span", { class: "code", text: item.code }), badge(item),
        el("span", { class: "badge state", text: item.state_label })),
      el("span", { class: "who", text: item.subject }),
      el("span", { class: "meta", text: item.region + " · " + item.category_label }),
      el("span", { class: "meta", text: tr("miniapp.deadline_on", { date: item.deadline_text }) }));
    return el("li", { class: "item", "data-id": item.id }, box, open);
  }

  function renderQueue(result) {
    const list = el("ul", { class: "list", id: "queue" }, ...result.items.map(queueRow));
    const pager = el("div", { class: "pager" },
      el("button", { class: "secondary", type: "button", disabled: result.page <= 0, text: tr("miniapp.page_prev"),
        onclick: () => { state.page -= 1; loadQueue(); } }),
      el("span", { class: "meta", text: tr("miniapp.page", { page: result.page + 1, pages: result.pages }) }),
      el("button", { class: "secondary", type: "button", disabled: result.page + 1 >= result.pages, text: tr("miniapp.page_next"),
        onclick: () => { state.page += 1; loadQueue(); } }));
    show(filterForm(),
      el("p", { class: "results", id: "results", text: tr("miniapp.results", { total: result.total }) }),
      result.items.length ? list : el("p", { class: "empty", text: tr("miniapp.queue_empty") }),
      result.pages > 1 ? pager : null,
      bulkBar());
    renderBulk();
  }

  async function loadQueue() {
    state.tab = "queue";
    state.report = null;
    renderChrome();
    setStatus(tr("miniapp.loading"));
    const f = state.filters;
    const query = new URLSearchParams({ state: f.state, page: String(state.page) });
    for (const key of ["region", "category", "from", "to", "q"]) if (f[key]) query.set(key, f[key]);
    try {
      const result = await apiJson("api/queue?" + query.toString());
      state.items = result.items;
      renderQueue(result);
      setStatus("");
    } catch (err) {
      renderQueue({ items: [], total: 0, page: 0, pages: 1 });
      setStatus(err.message, true);
    }
  }

  // ------------------------------------------------------------------ bulk moves

  function bulkBar() {
    const code = el("input", { type: "text", id: "bulk-code", placeholder: "LN-…", maxlength: 20, "aria-label": tr("miniapp.bulk_duplicate_of"), hidden: true });
    const target = el("select", { id: "bulk-target", "aria-label": tr("miniapp.target_pick"), hidden: true }, ...options(state.me.targets, null));
    const choice = (kind, label) => el("button", { type: "button", "data-kind": kind, "aria-pressed": String(state.bulkKind === kind), text: label,
      onclick: () => { state.bulkKind = kind; renderBulk(); } });
    return el("div", { class: "bulk", id: "bulk", hidden: true },
      el("div", { class: "inner" },
        el("div", { class: "row" }, el("strong", { id: "bulk-count" }),
          el("button", { type: "button", class: "link", text: tr("miniapp.bulk_clear"), onclick: () => {
            state.selected.clear(); state.bulkKind = null;
            for (const box of document.querySelectorAll("#queue input[type=checkbox]")) box.checked = false;
            renderBulk();
          } })),
        el("div", { class: "choices" }, choice("claim", tr("miniapp.bulk_claim")), choice("duplicate", tr("miniapp.bulk_duplicate")), choice("forward", tr("miniapp.bulk_forward"))),
        el("div", { class: "go" }, code, target,
          el("button", { type: "button", class: "primary", id: "bulk-go", text: tr("miniapp.bulk_go"), onclick: runBulk }))));
  }

  function renderBulk() {
    const bar = document.getElementById("bulk");
    if (!bar) return;
    bar.hidden = state.selected.size === 0;
    document.body.classList.toggle("bulk-open", !bar.hidden);
    document.getElementById("bulk-count").textContent = tr("miniapp.selected", { count: state.selected.size });
    for (const button of bar.querySelectorAll("[data-kind]")) button.setAttribute("aria-pressed", String(button.dataset.kind === state.bulkKind));
    document.getElementById("bulk-code").hidden = state.bulkKind !== "duplicate";
    document.getElementById("bulk-target").hidden = state.bulkKind !== "forward";
    document.getElementById("bulk-go").disabled = !state.bulkKind;
    placeToast();
  }

  async function runBulk() {
    const items = [...state.selected.entries()].map(([id, expected]) => ({ id, expected }));
    const json = { action: state.bulkKind, items };
    if (state.bulkKind === "duplicate") json.duplicate_of = document.getElementById("bulk-code").value;
    if (state.bulkKind === "forward") json.target = document.getElementById("bulk-target").value;
    try {
      const result = await apiJson("api/bulk", { json });
      state.selected.clear();
      state.bulkKind = null;
      await loadQueue();
      toast(result.summary, result.done < items.length);
    } catch (err) {
      toast(err.message, true);
    }
  }

  // ------------------------------------------------------------------ a report

  async function openReport(id) {
    setStatus(tr("miniapp.loading"));
    try {
      const report = await apiJson("api/reports/" + id);
      state.report = report;
      await renderReport(report);
      setStatus("");
      window.scrollTo(0, 0);
    } catch (err) {
      setStatus(err.message, true);
    }
  }

  async function photo(report, item) {
    const img = el("img", { alt: report.code + " #" + item.n, "data-n": item.n });
    const response = await api("api/reports/" + report.id + "/photos/" + item.n);
    if (response.ok) {
      const url = URL.createObjectURL(await response.blob());
      state.blobs.push(url);
      img.src = url;
    }
    return img;
  }

  function moveForm(report, move) {
    const form = el("form", { class: "form", id: "move-form" });
    const send = el("button", { class: "primary", type: "submit", text: tr("miniapp.confirm") });
    const cancel = el("button", { class: "secondary", type: "button", text: tr("miniapp.cancel"), onclick: () => form.remove() });
    const text = el("textarea", { name: "text", id: "move-text", maxlength: 1000 });
    if (move.needs === "reason") {
      form.append(el("strong", { text: tr("miniapp.reason_pick") }));
      for (const reason of state.me.reasons) {
        form.append(el("label", {}, el("input", { type: "radio", name: "reason", value: reason.value }), reason.label));
      }
      form.append(el("label", {}, el("input", { type: "radio", name: "reason", value: "", checked: true }), tr("miniapp.reason_typed")));
      form.append(el("span", { text: tr("miniapp.reason_text") }), text);
    } else if (move.needs === "target") {
      form.append(el("strong", { text: tr("miniapp.target_pick") }));
      state.me.targets.forEach((target, n) => {
        form.append(el("label", {}, el("input", { type: "radio", name: "target", value: target.value, checked: n === 0 }), target.label));
      });
    } else if (move.needs === "group") {
      form.append(el("strong", { text: tr("miniapp.group_pick") }));
      report.groups.forEach((group, n) => {
        form.append(el("label", {}, el("input", { type: "radio", name: "group", value: String(group.value), checked: n === 0 }), group.label));
      });
    } else {
      form.append(el("span", { text: tr("miniapp.question_text") }), text);
    }
    form.append(el("div", { class: "row" }, send, cancel));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const json = { action: move.action, expected: report.state_code };
      if (move.needs === "group") { json.to = Number(data.get("group")); json.from = report.group_here; }
      if (data.get("reason")) json.reason = data.get("reason");
      if (data.get("target")) json.target = data.get("target");
      if (move.needs === "question" || (move.needs === "reason" && !data.get("reason"))) json.text = text.value;
      makeMove(report, json);
    });
    return form;
  }

  async function makeMove(report, json) {
    try {
      const result = await apiJson("api/reports/" + report.id + "/move", { json });
      toast(result.message, result.result !== "done");
      await openReport(report.id);
    } catch (err) {
      toast(err.message, true);
    }
  }

  async function renderReport(report) {
    const movesBox = el("div", { class: "moves", id: "moves" });
    const formSlot = el("div", { id: "form-slot" });
    for (const move of report.moves) {
      movesBox.append(el("button", { type: "button", class: "primary", "data-action": move.action, text: move.label, onclick: () => {
        if (!move.needs) { makeMove(report, { action: move.action, expected: report.state_code }); return; }
        formSlot.replaceChildren(moveForm(report, move));
      } }));
    }
    const photos = el("div", { class: "photos", id: "photos" });
    const links = report.links.map((url) => el("li", {}, /^https:\/\//i.test(url)
      ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: url }) : url));
    const history = el("div", { class: "history", id: "history" });
    report.history_html.forEach((chunk, n) => { if (n) history.append("\n"); history.append(telegramHtml(chunk)); });
    show(
      el("button", { type: "button", class: "link", id: "back", text: tr("miniapp.back"), onclick: loadQueue }),
      el("h2", {}, el("span", { class: "code", text: report.code }), " ", el("span", { class: "badge state", id: "report-state", text: report.state_label })),
      el("h3", { text: tr("miniapp.moves") }),
      report.moves.length ? movesBox : el("p", { class: "empty", text: tr("miniapp.moves_none") }),
      formSlot,
      el("h3", { text: tr("miniapp.card") }),
      el("div", { class: "card", id: "card" }, telegramHtml(report.card_html)),
      el("h3", { text: tr("miniapp.evidence") }),
      report.photos.length ? photos : el("p", { class: "empty", text: tr("miniapp.evidence_none") }),
      report.links.length ? el("h3", { text: tr("miniapp.links") }) : null,
      report.links.length ? el("ul", {}, ...links) : null,
      el("h3", { text: tr("miniapp.history") }),
      history);
    for (const item of report.photos) photos.append(await photo(report, item));
  }

  // ------------------------------------------------------------------ the dashboard

  function lines(list) {
    return el("ul", { class: "lines" }, ...list.map((item) => el("li", {}, el("span", { text: item.label }), el("strong", { text: String(item.count) }))));
  }

  function trendBars(trend) {
    const highest = Math.max(1, ...trend.map((w) => w.count));
    const bars = el("div", { class: "bars", id: "trend" });
    const axis = el("div", { class: "axis" });
    for (const week of trend) {
      const fill = el("div", { class: "fill" });
      fill.style.height = Math.round((week.count / highest) * 100) + "%";
      bars.append(el("div", { class: "bar", title: tr("miniapp.trend_week", { date: week.date, count: week.count }) }, el("span", { class: "n", text: String(week.count) }), fill));
      axis.append(el("span", { text: week.label }));
    }
    return [bars, axis];
  }

  async function loadDashboard() {
    state.tab = "dashboard";
    renderChrome();
    setStatus(tr("miniapp.loading"));
    try {
      const d = await apiJson("api/dashboard");
      const map = el("div", { class: "map", id: "map", role: "img", "aria-label": tr("miniapp.map_title") });
      const deadlines = d.deadlines.length
        ? el("ul", { class: "lines", id: "deadlines" }, ...d.deadlines.map((x) => el("li", {}, el("span", { text: x.code + " · " + x.region }), el("strong", { text: x.date }))))
        : el("p", { class: "empty", text: tr("miniapp.deadlines_none") });
      show(
        el("h2", { text: d.title }),
        d.scope_text ? el("p", { class: "scope-note", id: "dashboard-scope", text: d.scope_text }) : null,
        el("div", { class: "tiles" },
          el("div", { class: "tile" }, el("div", { class: "label", text: tr("miniapp.new_today") }), el("div", { class: "big", id: "new-today", text: d.new_reports_text })),
          el("div", { class: "tile" }, ...d.compare.map((line) => el("div", { class: "textline", text: line })))),
        el("p", { class: "textline" }, telegramHtml(d.backlog_text)),
        el("p", { class: "textline" }, telegramHtml(d.first_action_text)),
        el("h3", { text: tr("miniapp.map_title") }), map,
        el("h3", { text: tr("miniapp.trend") }), ...trendBars(d.trend),
        el("h3", { text: tr("miniapp.states") }), lines(d.states),
        d.by_group.length ? el("h3", { text: tr("miniapp.by_group") }) : null,
        d.by_group.length ? el("ul", { class: "lines", id: "by-group" }, ...d.by_group.map((g) => el("li", {},
          el("span", {}, g.label, g.oldest ? el("span", { class: "meta", text: tr("miniapp.group_oldest", { moment: g.oldest }) }) : null),
          el("strong", { text: String(g.count) })))) : null,
        d.by_category.length ? el("h3", { text: tr("miniapp.by_category") }) : null,
        d.by_category.length ? lines(d.by_category) : null,
        d.by_region.length ? el("h3", { text: tr("miniapp.by_region") }) : null,
        d.by_region.length ? lines(d.by_region) : null,
        el("h3", { text: tr("miniapp.deadlines") }), deadlines,
        d.referrals.title ? el("h3", {}, telegramHtml(d.referrals.title)) : null,
        el("div", { class: "referrals", id: "referrals" }, ...d.referrals.lines.map((line) => el("p", { class: "textline" }, telegramHtml(line)))));
      const response = await api("api/map.svg");
      if (response.ok) {
        const svg = new DOMParser().parseFromString(await response.text(), "image/svg+xml").documentElement;
        if (svg && svg.nodeName === "svg") map.append(document.importNode(svg, true));
      }
      setStatus("");
    } catch (err) {
      setStatus(err.message, true);
    }
  }

  // ------------------------------------------------------------------ start

  function route() {
    if (state.tab === "dashboard" || !state.me.triage) loadDashboard();
    else if (state.report) openReport(state.report.id);
    else loadQueue();
  }

  async function start() {
    const launch = launchParams();
    applyTheme(launch.theme);
    state.initData = launch.initData;
    let locale = "id";
    if (state.initData) {
      try {
        const user = JSON.parse(new URLSearchParams(state.initData).get("user") || "{}");
        if (typeof user.language_code === "string" && user.language_code.toLowerCase().startsWith("en")) locale = "en";
      } catch (err) { /* the server decides; Indonesian meanwhile */ }
    }
    await loadStrings(locale);
    document.getElementById("title").textContent = tr("miniapp.app_title");
    postEvent("web_app_ready");
    postEvent("web_app_expand");
    if (!state.initData) { setStatus(tr("miniapp.open_in_telegram"), true); return; }
    setStatus(tr("miniapp.signing_in"));
    try {
      const session = await signIn();
      if (session.locale !== state.locale) await loadStrings(session.locale);
      state.me = await apiJson("api/me");
    } catch (err) {
      setStatus(err.message, true);
      document.body.dataset.refused = String(err.status || "");
      return;
    }
    document.body.dataset.signedIn = "true";
    document.getElementById("lang").addEventListener("click", async () => {
      await loadStrings(state.locale === "id" ? "en" : "id");
      state.me = await apiJson("api/me");
      route();
    });
    for (const button of document.querySelectorAll("#tabs button")) {
      button.addEventListener("click", () => {
        hideToast(); // its sentence was about a move on the other tab
        state.tab = button.dataset.tab;
        state.report = null;
        route();
      });
    }
    state.tab = state.me.triage ? "queue" : "dashboard";
    route();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
