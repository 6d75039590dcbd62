// Asking: the composer, each question sent with the conversation so far (and the library's
// "ask within" filters) to POST /chat/stream, the answer read as it streams, and a new
// conversation. Follow-ups carry the answers' findings, never a parse of their text.
import { $, detailText } from "./dom.js";
import { addAssistantMessage, addUserMessage, clearMessages, nearBottom, scrollToBottom } from "./messages.js";
import { closePanel } from "./panel.js";
import { readSSE } from "./stream.js";
import { filters } from "./within.js";

const els = { form: $("composer"), question: $("question"), send: $("send"), newChat: $("new-chat"), messages: $("messages") };
let history = [];        // [{role, content, findings?}] of completed exchanges only
let controller = null;   // AbortController of the request in flight

function setBusy(busy) {
  els.send.disabled = busy;
  els.messages.setAttribute("aria-busy", busy ? "true" : "false");
}

async function post(turn, signal) {
  const f = filters();
  const body = { message: turn.question, history: turn.sent, ...(f ? { filters: f } : {}) };
  const res = await fetch("/chat/stream", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) {
    let detail = null;
    try { detail = (await res.json()).detail; } catch (_) { /* not JSON */ }
    throw new Error(detailText(detail, "The server returned an error (HTTP " + res.status + ")."));
  }
  return res;
}

// The stream's events into the answer's message; at "done" the exchange joins the history.
function listen(reply, turn) {
  return (name, raw) => {
    if (turn.finished) return;
    let data;
    try { data = JSON.parse(raw); } catch (_) { throw new Error("The server sent an unreadable response."); }
    if (name === "citations") reply.setCitations(data);
    else if (name === "delta") reply.append((data && data.text) || "");
    else if (name === "error") throw new Error(detailText(data && data.detail, "Something went wrong."));
    else if (name === "done") {
      turn.finished = true;
      const answer = reply.finish(data || {}, turn.question, turn.sent.length > 0);
      const findings = Array.isArray(data && data.findings) ? data.findings : [];
      history = turn.sent.concat(
        { role: "user", content: turn.question },
        { role: "assistant", content: answer, findings });
    }
  };
}

// A failed answer says why, and offers the question again for a quick retry.
function failed(reply, turn, err) {
  const message = err instanceof TypeError
    ? "Could not reach the server. Check your connection and try again."
    : (err && err.message) || "Something went wrong.";
  reply.fail(message);
  if (!els.question.value.trim()) { els.question.value = turn.question; autoGrow(); }
}

async function ask(question) {
  const turn = { question, sent: history.slice(), finished: false };
  addUserMessage(question);
  const reply = addAssistantMessage();
  scrollToBottom();
  setBusy(true);
  const ctrl = new AbortController();
  controller = ctrl;
  try {
    await readSSE(await post(turn, ctrl.signal), listen(reply, turn));
    if (!turn.finished) throw new Error("The connection closed before the answer was complete.");
  } catch (err) {
    if (ctrl.signal.aborted) return; // "New conversation" cancelled it; the log is cleared
    if (!turn.finished) failed(reply, turn, err);
  } finally {
    if (controller === ctrl) { controller = null; setBusy(false); }
    if (!ctrl.signal.aborted && nearBottom()) scrollToBottom();
  }
}

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

function newConversation() {
  if (controller) { controller.abort(); controller = null; }
  setBusy(false);
  closePanel();
  history = [];
  clearMessages();
  els.question.value = "";
  autoGrow();
  els.question.focus();
}

els.form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
els.question.addEventListener("input", autoGrow);
els.question.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
});
els.newChat.addEventListener("click", newConversation);
els.question.focus();
