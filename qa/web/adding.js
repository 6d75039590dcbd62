// Adding articles to the library: one pasted into the form, or files chosen or dropped
// (each its own request, one after another: one refused changes nothing of the others).
// Each write is noted with what it did, near-copies named by their original's title.
import { $ } from "./dom.js";
import { known, load } from "./library.js";
import { note, write } from "./writes.js";

const els = { paste: $("paste-form"), files: $("file-input"), drop: $("drop") };

function added(body) {
  const parts = ["added " + body.added.length, "unchanged " + body.unchanged.length];
  if (body.replaced.length) parts.push("replaced " + body.replaced.length);
  let text = parts.join(", ");
  for (const c of body.near_copies || []) {
    text += "; \u201c" + c.title + "\u201d is a near-copy of \u201c" + known(c.near_duplicate_of) + "\u201d";
  }
  return text;
}

// POST /documents; the list drawn again; whether it was taken.
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

async function upload(files) {
  for (const file of files) {
    const form = new FormData();
    form.append("file", file, file.name);
    await send(file.name, { body: form });
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
