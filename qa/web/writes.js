// Writes to the library (POST and DELETE /documents) with the API key, kept for this tab
// only (sessionStorage): a refused key is forgotten and asked for again. And the notes
// the library shows of what each write did.
import { $, detailText, el } from "./dom.js";

const els = { uploads: $("uploads"), keyForm: $("key-form"), key: $("api-key"), keyMessage: $("key-message") };
const KEY = "qa-api-key";

// A request's headers, with the tab's key when it has one.
export function headers(extra) {
  const key = sessionStorage.getItem(KEY);
  return key ? { ...extra, Authorization: "Bearer " + key } : { ...extra };
}

function askForKey(message) {
  els.keyMessage.textContent = message;
  els.keyForm.hidden = false;
  els.key.value = "";
}

// A write with the tab's key; its JSON body, or an Error saying why it was refused.
export async function write(path, options) {
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
  if (!res.ok) throw new Error(detailText(body && body.detail, "The server refused it (HTTP " + res.status + ")."));
  return body;
}

// A line in the list of what was done, newest first ("ok", "busy" or "refused").
export function note(text, state) {
  const li = el("li", state, text);
  els.uploads.prepend(li);
  return li;
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
