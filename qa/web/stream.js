// Reading a text/event-stream response (POST /chat/stream sends its answer so).

// Parse the body, calling onEvent(name, data) per event; a throw from onEvent stops the
// reading and is thrown on.
export async function readSSE(response, onEvent) {
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
