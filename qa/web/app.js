// The chat page for the "qa" service: plain DOM, no frameworks, in ES modules by job
// (loaded from /static/ under the page's content security policy, script-src 'self'):
// - chat.js: asking, the conversation, a new conversation (stream.js reads the answer);
// - messages.js and citations.js: the answer with its citations and findings;
// - panel.js: the cited article with its passage highlighted;
// - library.js, adding.js, writes.js, within.js: the library, adding and removing
//   articles with the API key, and "ask within" filters; dom.js: what they share.
// SECURITY: server data only ever goes in through textContent or text nodes.
import "./chat.js";
import "./adding.js";
