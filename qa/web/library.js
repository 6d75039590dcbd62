// The page's library: the articles in the store (a virtual list: only the rows in view
// exist, and only the pages of GET /documents that hold them are fetched), a search over
// titles (the server's), removing one, adding articles by paste or by file, the API key
// for writes (kept for this tab only, in sessionStorage), and "ask within" filters.
// Plain DOM, no frameworks; server data only ever goes in through textContent.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const els = {
    panel: $("library"), toggle: $("library-toggle"), close: $("library-close"),
    list: $("library-list"), rows: $("library-rows"), count: $("library-count"),
    search: $("library-search"), paste: $("paste-form"), files: $("file-input"),
    drop: $("drop"), uploads: $("uploads"), keyForm: $("key-form"), key: $("api-key"),
    keyMessage: $("key-message"), source: $("within-source"), after: $("within-after"),
    before: $("within-before"), chips: $("chips"),
  };
  const ROW = 64; // px a row; the list shows only the rows in view, and a few more
  const PAGE = 100, KEEP = 20; // articles a request; pages kept, those nearest the view
  const KEY = "qa-api-key";
  // the list as the server last told it: how many match, how many are stored, the pages
  // fetched; `generation` changes with the search or a write, and older replies are dropped
  let total = 0, stored = 0, pages = new Map(), asked = new Set(), generation = 0, drawn = "";

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function detail(body, status) {
    const d = body && body.detail;
    if (typeof d === "string" && d) return d;
    if (Array.isArray(d) && d.length) return d.map((x) => (x && x.msg) || String(x)).join("; ");
    return "The server refused it (HTTP " + status + ").";
  }

  // "29 June 2020", or "date not given"
  function day(published) {
    if (typeof published !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(published)) return "date not given";
    const [y, m, d] = published.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB",
      { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  }

  // ---------- writes and the key ----------

  function headers(extra) {
    const key = sessionStorage.getItem(KEY);
    return key ? { ...extra, Authorization: "Bearer " + key } : { ...extra };
  }

  function askForKey(message) {
    els.keyMessage.textContent = message;
    els.keyForm.hidden = false;
    els.key.value = "";
  }

  // A write with the tab's key; a refused key is forgotten and asked for again.
  async function write(path, options) {
    const res = await fetch(path, { ...options, headers: headers(options.headers) });
    if (res.status === 401) {
      const had = sessionStorage.getItem(KEY);
      sessionStorage.removeItem(KEY);
      const message = had
        ? "The server refused that API key: nothing was changed. Enter the right key."
        : "This server needs its API key to add or remove articles.";
      askForKey(message);
      throw new Error(message);
    }
    let body = null;
    try { body = await res.json(); } catch (_) { /* 204, or not JSON */ }
    if (!res.ok) throw new Error(detail(body, res.status));
    return body;
  }

  els.keyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const key = els.key.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY, key);
    els.key.value = "";
    els.keyForm.hidden = true;
    note("The key is kept for this tab; send again.", "ok");
  });

  // ---------- the list ----------

  // The list from its first page; resolves once that page is drawn.
  function load() {
    generation++;
    pages = new Map();
    asked = new Set();
    drawn = "";
    outlets();
    return fetchPage(0);
  }

  async function fetchPage(p) {
    if (pages.has(p) || asked.has(p)) return;
    asked.add(p);
    const mine = generation, query = els.search.value.trim();
    const params = new URLSearchParams({ offset: String(p * PAGE), limit: String(PAGE) });
    if (query) params.set("q", query);
    const res = await fetch("/documents?" + params, { headers: headers({}) }).catch(() => null);
    const body = res && res.ok ? await res.json() : null;
    if (mine !== generation) return;
    asked.delete(p);
    if (!body) {
      els.count.textContent = "Could not list the articles" + (res ? " (HTTP " + res.status + ")." : ".");
      return;
    }
    keep(p, body.documents || []);
    counted(body.total, body.stored, query);
    drawn = "";
    draw();
  }

  // A page kept; beyond KEEP, the page farthest from it is forgotten (fetched again if needed).
  function keep(p, documents) {
    pages.set(p, documents);
    if (pages.size <= KEEP) return;
    const far = [...pages.keys()].reduce((a, b) => (Math.abs(b - p) > Math.abs(a - p) ? b : a));
    pages.delete(far);
  }

  function counted(matching, all, query) {
    total = matching;
    stored = all;
    els.count.textContent = query
      ? total + " of " + stored + " articles"
      : total + (total === 1 ? " article" : " articles");
    els.rows.style.height = total * ROW + "px";
  }

  function draw() {
    const top = els.list.scrollTop, height = els.list.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW) - 5);
    const last = Math.min(total, Math.ceil((top + height) / ROW) + 5);
    const key = first + ":" + last;
    if (key === drawn) return;
    drawn = key;
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const page = pages.get(Math.floor(i / PAGE));
      if (!page) fetchPage(Math.floor(i / PAGE));
      const d = page && page[i % PAGE];
      frag.appendChild(d ? row(d, i) : placeholder(i));
    }
    els.rows.replaceChildren(frag);
  }

  function placeholder(i) {
    const item = el("div", "doc loading", "\u2026");
    item.setAttribute("role", "listitem");
    item.style.transform = "translateY(" + i * ROW + "px)";
    return item;
  }

  function known(id) {
    for (const page of pages.values()) {
      const d = page.find((x) => x.id === id);
      if (d) return d.title;
    }
    return id;
  }

  function row(d, i) {
    const item = el("div", "doc");
    item.setAttribute("role", "listitem");
    item.style.transform = "translateY(" + i * ROW + "px)";
    const text = el("div", "doc-text");
    text.appendChild(el("span", "doc-title", d.title));
    const meta = [outletAndDate(d), d.chunks + (d.chunks === 1 ? " passage" : " passages")];
    if (d.near_duplicate_of) meta.push("near-copy of " + (d.near_duplicate_title || d.near_duplicate_of));
    text.appendChild(el("span", "doc-meta", meta.join(" \u00b7 ")));
    item.appendChild(text);
    const remove = el("button", "secondary remove", "Remove");
    remove.type = "button";
    remove.setAttribute("aria-label", "Remove " + d.title);
    remove.addEventListener("click", () => confirmRemove(item, remove, d));
    item.appendChild(remove);
    return item;
  }

  function confirmRemove(item, button, d) {
    const ask = el("span", "confirm");
    ask.appendChild(el("span", null, "Remove it?"));
    const yes = el("button", "danger", "Yes, remove");
    const no = el("button", "secondary", "Keep");
    yes.type = no.type = "button";
    yes.addEventListener("click", async () => {
      yes.disabled = no.disabled = true;
      try {
        await write("/documents/" + encodeURIComponent(d.id), { method: "DELETE" });
        note("Removed \u201c" + d.title + "\u201d.", "ok");
        await load();
      } catch (err) {
        note("Not removed: " + err.message, "refused");
        ask.replaceWith(button);
      }
    });
    no.addEventListener("click", () => ask.replaceWith(button));
    ask.append(yes, no);
    button.replaceWith(ask);
    yes.focus();
  }

  // ---------- adding ----------

  function note(text, state) {
    const li = el("li", state, text);
    els.uploads.prepend(li);
    return li;
  }

  function added(body) {
    const parts = ["added " + body.added.length, "unchanged " + body.unchanged.length];
    if (body.replaced.length) parts.push("replaced " + body.replaced.length);
    let text = parts.join(", ");
    for (const c of body.near_copies || []) {
      text += "; \u201c" + c.title + "\u201d is a near-copy of \u201c" + known(c.near_duplicate_of) + "\u201d";
    }
    return text;
  }

  async function send(label, options) {
    const li = note(label + ": adding\u2026", "busy");
    try {
      const body = await write("/documents", { method: "POST", ...options });
      await load();
      li.textContent = label + ": " + added(body);
      li.className = "ok";
      return true;
    } catch (err) {
      li.textContent = label + ": refused \u2014 " + err.message;
      li.className = "refused";
      return false;
    }
  }

  els.paste.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(els.paste);
    const article = { title: String(f.get("title")).trim(), text: String(f.get("text")) };
    if (String(f.get("source")).trim()) article.source = String(f.get("source")).trim();
    if (f.get("published")) article.published = String(f.get("published"));
    if (await send("\u201c" + article.title + "\u201d", {
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(article),
    })) els.paste.reset();
  });

  // Each file its own request, one after another: one refused changes nothing of the others.
  async function upload(files) {
    for (const file of files) {
      const form = new FormData();
      form.append("file", file, file.name);
      await send(file.name, { body: form });
    }
  }

  els.files.addEventListener("change", async () => {
    const files = Array.from(els.files.files || []);
    els.files.value = "";
    await upload(files);
  });
  els.drop.addEventListener("dragover", (e) => { e.preventDefault(); els.drop.classList.add("over"); });
  els.drop.addEventListener("dragleave", () => els.drop.classList.remove("over"));
  els.drop.addEventListener("drop", (e) => {
    e.preventDefault();
    els.drop.classList.remove("over");
    upload(Array.from((e.dataTransfer && e.dataTransfer.files) || []));
  });

  // ---------- ask within ----------

  // The outlets to ask within, from the server (GET /sources).
  async function outlets() {
    const res = await fetch("/sources", { headers: headers({}) }).catch(() => null);
    if (!res || !res.ok) return;
    const chosen = els.source.value;
    const names = ((await res.json()).sources || []).map((s) => s.name);
    const frag = document.createDocumentFragment();
    const any = el("option", null, "any outlet");
    any.value = "";
    frag.appendChild(any);
    for (const name of names) {
      const o = el("option", null, name);
      o.value = name;
      frag.appendChild(o);
    }
    els.source.replaceChildren(frag);
    els.source.value = names.includes(chosen) ? chosen : "";
  }

  function filters() {
    const f = {};
    if (els.source.value) f.source = els.source.value;
    if (els.after.value) f.published_after = els.after.value;
    if (els.before.value) f.published_before = els.before.value;
    return Object.keys(f).length ? f : null;
  }

  function chips() {
    const frag = document.createDocumentFragment();
    const add = (text, control) => {
      const chip = el("span", "chip", text);
      const x = el("button", "icon chip-x", "\u00d7");
      x.type = "button";
      x.setAttribute("aria-label", "Remove the filter " + text);
      x.addEventListener("click", () => { control.value = ""; chips(); });
      chip.appendChild(x);
      frag.appendChild(chip);
    };
    if (els.source.value) add(els.source.value, els.source);
    if (els.after.value) add("from " + day(els.after.value), els.after);
    if (els.before.value) add("to " + day(els.before.value), els.before);
    els.chips.hidden = !frag.childNodes.length;
    els.chips.replaceChildren(frag);
  }

  [els.source, els.after, els.before].forEach((c) => c.addEventListener("change", chips));

  // ---------- the panel ----------

  function open(show) {
    els.panel.hidden = !show;
    els.toggle.setAttribute("aria-expanded", String(show));
    if (show) load();
  }

  els.toggle.addEventListener("click", () => open(els.panel.hidden));
  els.close.addEventListener("click", () => open(false));
  let typing = 0; // the search asks the server once typing pauses
  els.search.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(load, 150); });
  els.list.addEventListener("scroll", () => requestAnimationFrame(draw), { passive: true });

  function outletAndDate(d) {
    return (d.source || "outlet not named") + " \u00b7 " + day(d.published);
  }

  window.qaLibrary = { filters, outletAndDate, reload: load };
})();
