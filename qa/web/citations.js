// An answer's citations on the page: numbered buttons that open the source panel, quoted
// sentences with the short answer bold, what each outlet says side by side (read from the
// answer's findings, never from its text), a generated answer sentence by sentence, and
// the list of sources.
import { el, outletAndDate } from "./dom.js";
import { openCitation } from "./panel.js";

function citeButton(c) {
  const b = el("button", "cite", String(c.n));
  b.type = "button";
  b.dataset.n = String(c.n);
  b.setAttribute("aria-label", "Source " + c.n + ": " + (c.title || "article"));
  b.setAttribute("aria-controls", "panel");
  b.addEventListener("click", () => openCitation(c, b));
  return b;
}

// Cite buttons for citation numbers (those the answer holds), after a space.
function cites(numbers, byN) {
  const frag = document.createDocumentFragment();
  const known = (numbers || []).filter((n) => byN.has(n));
  if (known.length) frag.appendChild(document.createTextNode(" "));
  known.forEach((n) => frag.appendChild(citeButton(byN.get(n))));
  return frag;
}

// A quoted sentence, its short answer in bold where the citation carries one (document
// offsets: answer_start - start is its place in the quote).
function quoted(c) {
  const mark = el("mark", "quote");
  const a = c.answer_start == null ? -1 : c.answer_start - c.start;
  const b = c.answer_end == null ? -1 : c.answer_end - c.start;
  if (a >= 0 && b > a && b <= c.quote.length) {
    mark.appendChild(document.createTextNode(c.quote.slice(0, a)));
    mark.appendChild(el("strong", "short-answer", c.quote.slice(a, b)));
    mark.appendChild(document.createTextNode(c.quote.slice(b)));
  } else {
    mark.textContent = c.quote;
  }
  return mark;
}

// A finding's citation numbers: its quotes', then its near-copies'.
function numbers(f) {
  return [f].concat(f.copies || []).flatMap((x) => (x.quotes || []).map((q) => q.n));
}

// The lead: the short answer with every article that states it, or "The articles differ:".
function lead(resp, byN) {
  const line = el("p", "lead");
  const stated = resp.findings.filter((f) => f.short_answer);
  if (resp.sources_differ) {
    line.appendChild(el("span", "differ", "The articles differ:"));
  } else if (stated.length) {
    line.appendChild(el("strong", "short-answer", stated[0].short_answer));
    line.appendChild(cites(stated.flatMap(numbers), byN));
  }
  return line;
}

// What one article says: its outlet and date, its short answer (where the articles
// differ), its quoted sentences, and its near-copies.
function card(f, differ, byN) {
  const section = el("section", "finding");
  const label = [f].concat(f.copies || []).map((x) => outletAndDate(x));
  section.appendChild(el("p", "finding-outlet", label.join("; ")));
  section.appendChild(el("p", "finding-title", f.title || f.document_id));
  if (differ && f.short_answer) {
    const says = el("p", "finding-answer");
    says.appendChild(el("strong", "short-answer", f.short_answer));
    section.appendChild(says);
  }
  for (const q of f.quotes || []) {
    const line = el("blockquote", "finding-quote");
    line.appendChild(quoted(q));
    line.appendChild(cites([q.n], byN));
    section.appendChild(line);
  }
  const copies = (f.copies || []).flatMap((x) => (x.quotes || []).map((q) => q.n));
  if (copies.length) {
    const also = el("p", "finding-copies", "The same in its near-copies:");
    also.appendChild(cites(copies, byN));
    section.appendChild(also);
  }
  return section;
}

// An extractive answer, read from its findings: the lead, then each article side by side.
export function renderFindings(container, resp, byN) {
  const row = el("div", "findings");
  for (const f of resp.findings) row.appendChild(card(f, resp.sources_differ, byN));
  container.replaceChildren(lead(resp, byN), row);
}

// A generated answer, sentence by sentence: a sentence that no cited article supports
// is kept but marked, so the reader can tell checked claims from unchecked ones.
export function renderSentences(container, sentences, byN) {
  const frag = document.createDocumentFragment();
  sentences.forEach((s, i) => {
    if (i) frag.appendChild(document.createTextNode(" "));
    const span = el("span", s.supported ? "sentence" : "sentence unsupported", String(s.text));
    span.appendChild(cites(s.citations, byN));
    if (!s.supported) {
      span.title = "No article supports this sentence";
      span.appendChild(el("span", "unsupported-label", "not supported by the articles"));
    }
    frag.appendChild(span);
  });
  container.replaceChildren(frag);
}

// The numbered list of sources, each opening its passage in the panel.
export function renderSources(citations, label) {
  const list = el("ol", "sources");
  list.setAttribute("aria-label", label || "Sources");
  for (const c of citations) {
    const li = el("li");
    const b = el("button", "source");
    b.type = "button";
    b.dataset.n = String(c.n);
    b.setAttribute("aria-controls", "panel");
    b.appendChild(el("span", "source-n", "[" + c.n + "]"));
    b.appendChild(document.createTextNode(" "));
    b.appendChild(el("span", "source-title", c.title || c.document_id));
    b.appendChild(el("span", "source-name", " — " + outletAndDate(c))); // "BBC · 29 June 2020"
    if (c.quote) b.appendChild(el("span", "source-quote", ": \u201c" + c.quote + "\u201d"));
    b.addEventListener("click", () => openCitation(c, b));
    li.appendChild(b);
    list.appendChild(li);
  }
  return list;
}
