// The source panel: a cited article, whole, with the quoted passage highlighted (its short
// answer bold) and scrolled into view. Opened from a citation; closed by its button, the
// backdrop or Escape, giving the focus back to the citation that opened it.
import { $, el, detailText } from "./dom.js";

const els = {
  panel: $("panel"), backdrop: $("panel-backdrop"), title: $("panel-title"),
  meta: $("panel-meta"), text: $("panel-text"), close: $("panel-close"),
};
let request = 0;      // increments per open; stale fetches are ignored
let trigger = null;   // the element to give the focus back to when the panel closes
const documents = new Map();

function unmark() {
  document.querySelectorAll(".cite.active, .source.active").forEach((b) => b.classList.remove("active"));
}

// The article (GET /documents/{id}), fetched once.
function article(id) {
  if (documents.has(id)) return Promise.resolve(documents.get(id));
  return fetch("/documents/" + encodeURIComponent(id)).then(async (res) => {
    if (!res.ok) {
      let detail = null;
      try { detail = (await res.json()).detail; } catch (_) { /* ignore */ }
      throw new Error(detailText(detail, "Could not load the article (HTTP " + res.status + ")."));
    }
    const doc = await res.json();
    documents.set(id, doc);
    return doc;
  });
}

export function openCitation(c, from) {
  const mine = ++request;
  trigger = from || null;
  unmark();
  if (from) from.classList.add("active");
  els.panel.hidden = false;
  els.backdrop.hidden = false;
  els.title.textContent = c.title || "Source";
  els.meta.textContent = "Loading article…";
  els.text.replaceChildren();
  els.close.focus();
  article(String(c.document_id)).then((doc) => {
    if (mine === request) renderDocument(doc, c);
  }).catch((err) => {
    if (mine !== request) return;
    els.meta.textContent = "";
    els.text.replaceChildren(el("p", "error-text",
      err instanceof TypeError ? "Could not reach the server." : err.message));
  });
}

// "Reuters · 2020-06-29 · Original article" (a link only to an http(s) URL, never javascript:).
function renderMeta(doc) {
  els.meta.replaceChildren();
  const meta = [doc.source, doc.published].filter(Boolean).join(" · ");
  if (meta) els.meta.appendChild(document.createTextNode(meta));
  if (typeof doc.url === "string" && /^https?:\/\//i.test(doc.url)) {
    if (meta) els.meta.appendChild(document.createTextNode(" · "));
    const a = el("a", null, "Original article");
    a.href = doc.url; a.target = "_blank"; a.rel = "noopener noreferrer";
    els.meta.appendChild(a);
  }
}

// The text before, of and after the cited passage, and where it begins. Offsets are Python
// code-point indices: sliced over code points, not UTF-16 units; by the quote where they no
// longer match it (the short answer's offsets stay relative to the cited start).
function cut(text, c) {
  const cps = Array.from(text);
  const start = Math.max(0, Math.min(cps.length, Number(c.start) | 0));
  const end = Math.max(start, Math.min(cps.length, Number(c.end) | 0));
  const parts = [cps.slice(0, start), cps.slice(start, end), cps.slice(end)].map((p) => p.join(""));
  if (c.quote && parts[1] !== c.quote) {
    const i = text.indexOf(c.quote);
    if (i >= 0) return [text.slice(0, i), c.quote, text.slice(i + c.quote.length), start];
  }
  return [...parts, start];
}

// The passage marked, its short answer bold (its offsets lie within the quote's, which
// begins at `start`).
function marked(span, c, start) {
  const mark = el("mark", null, null);
  const cps = Array.from(span);
  const a = Number(c.answer_start) - start, b = Number(c.answer_end) - start;
  if (c.answer_start != null && a >= 0 && b > a && b <= cps.length) {
    mark.appendChild(document.createTextNode(cps.slice(0, a).join("")));
    mark.appendChild(el("strong", "short-answer", cps.slice(a, b).join("")));
    mark.appendChild(document.createTextNode(cps.slice(b).join("")));
  } else {
    mark.textContent = span;
  }
  return mark;
}

function renderDocument(doc, c) {
  els.title.textContent = doc.title || c.title || "Untitled article";
  renderMeta(doc);
  const [before, span, after, start] = cut(String(doc.text || ""), c);
  const mark = marked(span, c, start);
  const frag = document.createDocumentFragment();
  frag.append(document.createTextNode(before), mark, document.createTextNode(after));
  els.text.replaceChildren(frag);
  // Scroll only the text container (scrollIntoView could also shift the page on phones).
  const box = els.text;
  box.scrollTop = 0;
  if (span) {
    const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop = Math.max(0, offset - box.clientHeight / 3);
  }
}

export function closePanel() {
  if (els.panel.hidden) return;
  request++;
  els.panel.hidden = true;
  els.backdrop.hidden = true;
  unmark();
  if (trigger && document.contains(trigger)) trigger.focus();
  trigger = null;
}

els.close.addEventListener("click", closePanel);
els.backdrop.addEventListener("click", closePanel);
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !els.panel.hidden) { e.preventDefault(); closePanel(); }
});
