// What the page's modules share: elements by id, new elements with their text (server data
// only ever goes in through textContent or text nodes), an error body as one readable
// string, and an article's outlet and date as the page writes them.

export const $ = (id) => document.getElementById(id);

// An element with an optional class and text.
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

// FastAPI-style error bodies ("detail": a string, or a list of {msg}) as one string.
export function detailText(detail, fallback) {
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail)) {
    const msgs = detail.map((d) => (d && d.msg) || (typeof d === "string" ? d : "")).filter(Boolean);
    if (msgs.length) return msgs.join("; ");
  }
  return fallback;
}

// "29 June 2020", or "date not given"
export function day(published) {
  if (typeof published !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(published)) return "date not given";
  const [y, m, d] = published.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB",
    { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

// "BBC · 29 June 2020"
export function outletAndDate(d) {
  return (d.source || "outlet not named") + " \u00b7 " + day(d.published);
}
