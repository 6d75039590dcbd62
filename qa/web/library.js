// The page's library: the articles in the store as a virtual list (only the rows in view
// exist, and only the pages of GET /documents that hold them are fetched), a search over
// titles (the server's), and removing one. Adding is adding.js's; "ask within" within.js's.
import { $, el, outletAndDate } from "./dom.js";
import { outlets } from "./within.js";
import { headers, note, write } from "./writes.js";

const els = {
  panel: $("library"), toggle: $("library-toggle"), close: $("library-close"),
  list: $("library-list"), rows: $("library-rows"), count: $("library-count"), search: $("library-search"),
};
const ROW = 64; // px a row; the list shows only the rows in view, and a few more
const PAGE = 100, KEEP = 20; // articles a request; pages kept, those nearest the view
// the list as the server last told it: how many match, the pages fetched; `generation`
// changes with the search or a write, and older replies are dropped
let total = 0, pages = new Map(), asked = new Set(), generation = 0, drawn = "";

// The list from its first page; resolves once that page is drawn.
export function load() {
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

function counted(matching, stored, query) {
  total = matching;
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

// An article's title, if a page in hand holds it; else its id.
export function known(id) {
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
  remove.addEventListener("click", () => confirmRemove(remove, d));
  item.appendChild(remove);
  return item;
}

function confirmRemove(button, d) {
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
