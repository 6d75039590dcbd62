// "Ask within": an outlet (from GET /sources) and a date range that the questions are
// asked within, shown as chips above the composer, each with its own remove button.
import { $, day, el } from "./dom.js";
import { headers } from "./writes.js";

const els = { source: $("within-source"), after: $("within-after"), before: $("within-before"), chips: $("chips") };

// The outlets to ask within, from the server; the chosen one kept while it is still there.
export async function outlets() {
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

// The choices as the API's filters; null when there are none.
export function filters() {
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
