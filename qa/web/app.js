// Chat page for the "qa" service. Plain DOM, no frameworks.
// SECURITY: server data is only ever inserted via textContent / createTextNode.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const els = {
    form: $("composer"), question: $("question"), send: $("send"), newChat: $("new-chat"),
    messages: $("messages"), scroller: $("scroller"), intro: $("intro"),
    panel: $("panel"), backdrop: $("panel-backdrop"), panelTitle: $("panel-title"),
    panelMeta: $("panel-meta"), panelText: $("panel-text"), panelClose: $("panel-close"),
  };

  let history = [];        // [{role, content}] of completed exchanges only
  let controller = null;   // AbortController of the in-flight request
  let panelRequest = 0;    // increments per panel open; stale fetches are ignored
  let panelTrigger = null; // element to return focus to when the panel closes
  const docCache = new Map();

  // Create an element with optional class and text.
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function setBusy(busy) {
    els.send.disabled = busy;
    els.messages.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // Keep the log pinned to the bottom unless the user scrolled up to read.
  function nearBottom() {
    const s = els.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }
  function scrollToBottom() { els.scroller.scrollTop = els.scroller.scrollHeight; }

  // Turn FastAPI-style error bodies into one readable string.
  function detailText(detail, fallback) {
    if (typeof detail === "string" && detail) return detail;
    if (Array.isArray(detail)) {
      const msgs = detail.map((d) => (d && d.msg) || (typeof d === "string" ? d : "")).filter(Boolean);
      if (msgs.length) return msgs.join("; ");
    }
    return fallback;
  }

  // ---------- rendering ----------

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

  // An extractive answer, read from its findings (never from its text): the lead (the short
  // answer with every article that states it, or "The articles differ:"), then what each
  // article says, side by side: its outlet and date, its short answer, its quoted sentences.
  function renderFindings(container, resp, byN) {
    const findings = resp.findings;
    const lead = el("p", "lead");
    const stated = findings.filter((f) => f.short_answer);
    if (resp.sources_differ) {
      lead.appendChild(el("span", "differ", "The articles differ:"));
    } else if (stated.length) {
      lead.appendChild(el("strong", "short-answer", stated[0].short_answer));
      lead.appendChild(cites(stated.flatMap(numbers), byN));
    }
    const row = el("div", "findings");
    for (const f of findings) {
      const card = el("section", "finding");
      const label = [f].concat(f.copies || []).map((x) => window.qaLibrary.outletAndDate(x));
      card.appendChild(el("p", "finding-outlet", label.join("; ")));
      card.appendChild(el("p", "finding-title", f.title || f.document_id));
      if (resp.sources_differ && f.short_answer) {
        const says = el("p", "finding-answer");
        says.appendChild(el("strong", "short-answer", f.short_answer));
        card.appendChild(says);
      }
      for (const q of f.quotes || []) {
        const line = el("blockquote", "finding-quote");
        line.appendChild(quoted(q));
        line.appendChild(cites([q.n], byN));
        card.appendChild(line);
      }
      const copies = (f.copies || []).flatMap((x) => (x.quotes || []).map((q) => q.n));
      if (copies.length) {
        const also = el("p", "finding-copies", "The same in its near-copies:");
        also.appendChild(cites(copies, byN));
        card.appendChild(also);
      }
      row.appendChild(card);
    }
    container.replaceChildren(lead, row);
  }

  // A generated answer, sentence by sentence: a sentence that no cited article supports
  // is kept but marked, so the reader can tell checked claims from unchecked ones.
  function renderSentences(container, sentences, byN) {
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

  const ANSWERERS = {
    llm: "Written by a language model; each cited sentence was checked against its article.",
    "extractive (fallback)": "The language model did not answer: these are the articles\u2019 own sentences.",
  };

  function renderSources(citations, label) {
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
      // "BBC · 29 June 2020", as the library (library.js, loaded first) writes it
      b.appendChild(el("span", "source-name", " — " + window.qaLibrary.outletAndDate(c)));
      if (c.quote) b.appendChild(el("span", "source-quote", ": \u201c" + c.quote + "\u201d"));
      b.addEventListener("click", () => openCitation(c, b));
      li.appendChild(b);
      list.appendChild(li);
    }
    return list;
  }

  function addUserMessage(text) {
    const msg = el("div", "message user");
    msg.appendChild(el("span", "visually-hidden", "You: "));
    msg.appendChild(el("p", "body", text));
    els.messages.appendChild(msg);
    els.intro.hidden = true;
  }

  // Assistant message with a small API used by the stream handler.
  function addAssistantMessage() {
    const msg = el("div", "message assistant");
    msg.dataset.state = "streaming";
    msg.appendChild(el("span", "visually-hidden", "Answer: "));
    const body = el("div", "body");
    body.appendChild(el("span", "typing", "Searching the articles…"));
    msg.appendChild(body);
    els.messages.appendChild(msg);

    let text = "", citations = [];
    return {
      setCitations(list) { citations = Array.isArray(list) ? list : []; },
      append(piece) { // a language model's words as they come; cited when done
        const stick = nearBottom();
        text += piece;
        body.textContent = text;
        if (stick) scrollToBottom();
      },
      finish(resp, question, hadHistory) {
        const answer = typeof resp.answer === "string" ? resp.answer : text;
        if (Array.isArray(resp.citations)) citations = resp.citations;
        const byN = new Map(citations.map((c) => [Number(c.n), c]));
        if (Array.isArray(resp.sentences) && resp.sentences.length) {
          renderSentences(body, resp.sentences, byN);
        } else if (Array.isArray(resp.findings) && resp.findings.length && resp.tier !== "generated") {
          renderFindings(body, resp, byN);
        } else {
          body.textContent = answer;
        }
        if (resp.answered === false) {
          msg.dataset.state = "unanswered";
          msg.insertBefore(el("p", "unanswered-label", "The articles don\u2019t say."), body);
          if (!answer.trim() || resp.tier === "none") body.remove(); // said once, above
        } else {
          msg.dataset.state = "answered";
        }
        if (typeof resp.tier === "string") msg.dataset.tier = resp.tier;
        // For follow-ups, show how the question was interpreted for search.
        const sq = resp.standalone_question;
        if (hadHistory && typeof sq === "string" && sq.trim() && sq.trim() !== question.trim()) {
          msg.appendChild(el("p", "rewrite", "Searched for: " + sq));
        }
        if (citations.length) msg.appendChild(renderSources(citations));
        // a declined question still shows where to look: plainly not an answer
        const related = Array.isArray(resp.related) ? resp.related : [];
        if (related.length) {
          const where = el("div", "related");
          where.appendChild(el("p", "related-label", "Closest passages (not an answer):"));
          where.appendChild(renderSources(related, "Closest passages"));
          msg.appendChild(where);
        }
        const by = ANSWERERS[resp.answerer];
        if (by) msg.appendChild(el("p", "answerer", by));
        return answer;
      },
      fail(message) {
        msg.dataset.state = "error";
        // Keep any partial answer visible, then the error below it.
        if (!text) body.remove();
        const err = el("p", "error-text", message);
        err.setAttribute("role", "alert");
        msg.appendChild(err);
      },
    };
  }

  // ---------- streaming ----------

  // Parse a text/event-stream body, calling onEvent(name, data) per event.
  async function readSSE(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buf = "", name = "", data = [];
    const dispatch = () => {
      if (data.length) onEvent(name || "message", data.join("\n"));
      name = ""; data = [];
    };
    const handleLine = (line) => {
      if (line === "") return dispatch();
      if (line[0] === ":") return; // comment, e.g. ": ping"
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? "" : line.slice(i + 1);
      if (value[0] === " ") value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        buf += decoder.decode(value || new Uint8Array(), { stream: !done });
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          handleLine(buf.slice(0, nl).replace(/\r$/, ""));
          buf = buf.slice(nl + 1);
        }
        if (done) break;
      }
      if (buf) handleLine(buf.replace(/\r$/, ""));
      dispatch();
    } catch (err) {
      reader.cancel().catch(() => {}); // stop reading after an error event or bad data
      throw err;
    }
  }

  // The library's "ask within" choices (an outlet, a date range), as the API's filters.
  function withFilters(body) {
    const filters = window.qaLibrary ? window.qaLibrary.filters() : null;
    return filters ? { ...body, filters } : body;
  }

  async function ask(question) {
    const hadHistory = history.length > 0;
    const sentHistory = history.slice();
    addUserMessage(question);
    const reply = addAssistantMessage();
    scrollToBottom();
    setBusy(true);
    const ctrl = new AbortController();
    controller = ctrl;

    let finished = false;
    try {
      const res = await fetch("/chat/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(withFilters({ message: question, history: sentHistory })),
        signal: ctrl.signal,
      });
      if (!res.ok) {
        let detail = null;
        try { detail = (await res.json()).detail; } catch (_) { /* not JSON */ }
        throw new Error(detailText(detail, "The server returned an error (HTTP " + res.status + ")."));
      }
      await readSSE(res, (name, raw) => {
        if (finished) return;
        let data;
        try { data = JSON.parse(raw); } catch (_) { throw new Error("The server sent an unreadable response."); }
        if (name === "citations") reply.setCitations(data);
        else if (name === "delta") reply.append((data && data.text) || "");
        else if (name === "error") throw new Error(detailText(data && data.detail, "Something went wrong."));
        else if (name === "done") {
          finished = true;
          const answer = reply.finish(data || {}, question, hadHistory);
          // follow-ups read the answer's findings, never its text
          const findings = Array.isArray(data && data.findings) ? data.findings : [];
          history = sentHistory.concat(
            { role: "user", content: question },
            { role: "assistant", content: answer, findings });
        }
      });
      if (!finished) throw new Error("The connection closed before the answer was complete.");
    } catch (err) {
      if (ctrl.signal.aborted) return; // "New conversation" cancelled it; DOM already cleared
      if (!finished) {
        const msg = err instanceof TypeError
          ? "Could not reach the server. Check your connection and try again."
          : (err && err.message) || "Something went wrong.";
        reply.fail(msg);
        // Offer the question again for a quick retry.
        if (!els.question.value.trim()) { els.question.value = question; autoGrow(); }
      }
    } finally {
      if (controller === ctrl) { controller = null; setBusy(false); }
      if (!ctrl.signal.aborted && nearBottom()) scrollToBottom();
    }
  }

  // ---------- citation panel ----------

  function openCitation(c, trigger) {
    const req = ++panelRequest;
    panelTrigger = trigger || null;
    document.querySelectorAll(".cite.active, .source.active").forEach((b) => b.classList.remove("active"));
    if (trigger) trigger.classList.add("active");

    els.panel.hidden = false;
    els.backdrop.hidden = false;
    els.panelTitle.textContent = c.title || "Source";
    els.panelMeta.textContent = "Loading article…";
    els.panelText.replaceChildren();
    els.panelClose.focus();

    const id = String(c.document_id);
    const load = docCache.has(id) ? Promise.resolve(docCache.get(id)) :
      fetch("/documents/" + encodeURIComponent(id)).then(async (res) => {
        if (!res.ok) {
          let detail = null;
          try { detail = (await res.json()).detail; } catch (_) { /* ignore */ }
          throw new Error(detailText(detail, "Could not load the article (HTTP " + res.status + ")."));
        }
        const doc = await res.json();
        docCache.set(id, doc);
        return doc;
      });

    load.then((doc) => {
      if (req !== panelRequest) return;
      renderDocument(doc, c);
    }).catch((err) => {
      if (req !== panelRequest) return;
      els.panelMeta.textContent = "";
      els.panelText.replaceChildren(el("p", "error-text",
        err instanceof TypeError ? "Could not reach the server." : err.message));
    });
  }

  function renderDocument(doc, c) {
    els.panelTitle.textContent = doc.title || c.title || "Untitled article";
    els.panelMeta.replaceChildren();
    const meta = [doc.source, doc.published].filter(Boolean).join(" · ");
    if (meta) els.panelMeta.appendChild(document.createTextNode(meta));
    // Only link out to http(s) URLs (never javascript: etc.).
    if (typeof doc.url === "string" && /^https?:\/\//i.test(doc.url)) {
      if (meta) els.panelMeta.appendChild(document.createTextNode(" · "));
      const a = el("a", null, "Original article");
      a.href = doc.url; a.target = "_blank"; a.rel = "noopener noreferrer";
      els.panelMeta.appendChild(a);
    }

    // Offsets are Python code-point indices: slice over code points, not UTF-16 units.
    const text = String(doc.text || "");
    const cps = Array.from(text);
    let start = Math.max(0, Math.min(cps.length, Number(c.start) | 0));
    let end = Math.max(start, Math.min(cps.length, Number(c.end) | 0));
    let before = cps.slice(0, start).join(""), span = cps.slice(start, end).join(""), after = cps.slice(end).join("");
    // Fallback if the offsets don't match the quote (e.g. the article changed).
    if (c.quote && span !== c.quote) {
      const i = text.indexOf(c.quote);
      if (i >= 0) {
        before = text.slice(0, i); span = c.quote; after = text.slice(i + c.quote.length);
      }
    }

    const frag = document.createDocumentFragment();
    frag.appendChild(document.createTextNode(before));
    const mark = el("mark", null, null);
    // The short answer inside the quote is bold (its offsets lie within the quote's).
    const spanCps = Array.from(span);
    const a = Number(c.answer_start) - start, b = Number(c.answer_end) - start;
    if (c.answer_start != null && a >= 0 && b > a && b <= spanCps.length) {
      mark.appendChild(document.createTextNode(spanCps.slice(0, a).join("")));
      mark.appendChild(el("strong", "short-answer", spanCps.slice(a, b).join("")));
      mark.appendChild(document.createTextNode(spanCps.slice(b).join("")));
    } else {
      mark.textContent = span;
    }
    frag.appendChild(mark);
    frag.appendChild(document.createTextNode(after));
    els.panelText.replaceChildren(frag);
    // Scroll only the text container (scrollIntoView could also shift the page on phones).
    const box = els.panelText;
    box.scrollTop = 0;
    if (span) {
      const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop = Math.max(0, offset - box.clientHeight / 3);
    }
  }

  function closePanel() {
    if (els.panel.hidden) return;
    panelRequest++;
    els.panel.hidden = true;
    els.backdrop.hidden = true;
    document.querySelectorAll(".cite.active, .source.active").forEach((b) => b.classList.remove("active"));
    if (panelTrigger && document.contains(panelTrigger)) panelTrigger.focus();
    panelTrigger = null;
  }

  // ---------- wiring ----------

  function autoGrow() {
    const q = els.question;
    q.style.height = "auto";
    q.style.height = Math.min(q.scrollHeight, 160) + "px";
    q.style.overflowY = q.scrollHeight > 160 ? "auto" : "hidden"; // scrollbar only when capped
  }

  function submit() {
    const text = els.question.value.trim();
    if (!text || controller) return;
    els.question.value = "";
    autoGrow();
    ask(text);
  }

  els.form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  els.question.addEventListener("input", autoGrow);
  els.question.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });

  els.newChat.addEventListener("click", () => {
    if (controller) { controller.abort(); controller = null; }
    setBusy(false);
    closePanel();
    history = [];
    els.messages.replaceChildren();
    els.intro.hidden = false;
    els.question.value = "";
    autoGrow();
    els.question.focus();
  });

  els.panelClose.addEventListener("click", closePanel);
  els.backdrop.addEventListener("click", closePanel);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !els.panel.hidden) { e.preventDefault(); closePanel(); }
  });

  els.question.focus();
})();
