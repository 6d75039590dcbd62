// The conversation's messages: the person's question, and the answer as it comes (a
// language model's words as they stream, then the final answer with its citations, a
// refusal with the closest passages, or an error).
import { $, el } from "./dom.js";
import { renderFindings, renderSentences, renderSources } from "./citations.js";

const els = { messages: $("messages"), scroller: $("scroller"), intro: $("intro") };

const ANSWERERS = {
  llm: "Written by a language model; each cited sentence was checked against its article.",
  "extractive (fallback)": "The language model did not answer: these are the articles\u2019 own sentences.",
};

// Keep the log pinned to the bottom unless the person scrolled up to read.
export function nearBottom() {
  const s = els.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}

export function scrollToBottom() { els.scroller.scrollTop = els.scroller.scrollHeight; }

export function clearMessages() {
  els.messages.replaceChildren();
  els.intro.hidden = false;
}

export function addUserMessage(text) {
  const msg = el("div", "message user");
  msg.appendChild(el("span", "visually-hidden", "You: "));
  msg.appendChild(el("p", "body", text));
  els.messages.appendChild(msg);
  els.intro.hidden = true;
}

// The answer's body: sentence by sentence (generated), by findings (extractive), or text.
function renderBody(body, resp, answer, byN) {
  if (Array.isArray(resp.sentences) && resp.sentences.length) {
    renderSentences(body, resp.sentences, byN);
  } else if (Array.isArray(resp.findings) && resp.findings.length && resp.tier !== "generated") {
    renderFindings(body, resp, byN);
  } else {
    body.textContent = answer;
  }
}

// What follows the body: how a follow-up was searched for, the sources, the closest
// passages of a declined question (plainly not an answer), and who wrote the answer.
function renderAfter(msg, resp, citations, rewritten) {
  if (rewritten) msg.appendChild(el("p", "rewrite", "Searched for: " + rewritten));
  if (citations.length) msg.appendChild(renderSources(citations));
  const related = Array.isArray(resp.related) ? resp.related : [];
  if (related.length) {
    const where = el("div", "related");
    where.appendChild(el("p", "related-label", "Closest passages (not an answer):"));
    where.appendChild(renderSources(related, "Closest passages"));
    msg.appendChild(where);
  }
  const by = ANSWERERS[resp.answerer];
  if (by) msg.appendChild(el("p", "answerer", by));
}

// The final answer in its message; returns the answer's text.
function finish(msg, body, state, resp, asked) {
  const answer = typeof resp.answer === "string" ? resp.answer : state.text;
  if (Array.isArray(resp.citations)) state.citations = resp.citations;
  renderBody(body, resp, answer, new Map(state.citations.map((c) => [Number(c.n), c])));
  if (resp.answered === false) {
    msg.dataset.state = "unanswered";
    msg.insertBefore(el("p", "unanswered-label", "The articles don\u2019t say."), body);
    if (!answer.trim() || resp.tier === "none") body.remove(); // said once, above
  } else {
    msg.dataset.state = "answered";
  }
  if (typeof resp.tier === "string") msg.dataset.tier = resp.tier;
  const sq = resp.standalone_question; // a follow-up: how it was read for the search
  const rewritten = asked.hadHistory && typeof sq === "string" && sq.trim()
    && sq.trim() !== asked.question.trim() ? sq : null;
  renderAfter(msg, resp, state.citations, rewritten);
  return answer;
}

// An answer's message, with what the stream handler calls as the answer comes.
export function addAssistantMessage() {
  const msg = el("div", "message assistant");
  msg.dataset.state = "streaming";
  msg.appendChild(el("span", "visually-hidden", "Answer: "));
  const body = el("div", "body");
  body.appendChild(el("span", "typing", "Searching the articles…"));
  msg.appendChild(body);
  els.messages.appendChild(msg);
  const state = { text: "", citations: [] };
  return {
    setCitations(list) { state.citations = Array.isArray(list) ? list : []; },
    append(piece) { // a language model's words as they come; cited when done
      const stick = nearBottom();
      state.text += piece;
      body.textContent = state.text;
      if (stick) scrollToBottom();
    },
    finish(resp, question, hadHistory) { return finish(msg, body, state, resp, { question, hadHistory }); },
    fail(message) {
      msg.dataset.state = "error";
      if (!state.text) body.remove(); // a partial answer stays visible, the error below it
      const err = el("p", "error-text", message);
      err.setAttribute("role", "alert");
      msg.appendChild(err);
    },
  };
}
