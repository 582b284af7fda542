// The HTML page of `charnn serve`; see web_page.h. The script sets
// body[data-state] to busy, done or error, so a test (or a person) can tell
// when a generation has finished.
#include "charnn/serve/web_page.h"

namespace charnn {

namespace {

constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>charnn</title>
<style>
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 56rem; margin: 2rem auto;
         padding: 0 1rem; color: #1b1b1b; background: #f6f7f9; }
  h1 { font-size: 1.6rem; margin: 0; }
  #model { color: #555; margin: .2rem 0 1.2rem; font-size: .9rem; }
  form { background: #fff; border: 1px solid #d9dce1; border-radius: 8px; padding: 1rem; }
  .grid { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: .75rem 1rem; margin-top: .75rem; }
  label { display: flex; flex-direction: column; gap: .25rem; font-size: .8rem; color: #444; }
  input, textarea { padding: .4rem .5rem; border: 1px solid #b9bec6; border-radius: 4px; font-size: 14px; }
  textarea { font: 14px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; min-height: 3.2rem; resize: vertical; }
  .actions { display: flex; align-items: center; gap: 1rem; margin-top: 1rem; }
  .actions label { flex-direction: row; align-items: center; font-size: .85rem; }
  button { background: #1f6fb4; color: #fff; border: 0; border-radius: 4px; padding: .55rem 1.5rem; font-size: 15px;
           cursor: pointer; }
  button:disabled { opacity: .6; cursor: progress; }
  #status { color: #555; font-size: .85rem; margin: .9rem 0 .3rem; min-height: 1.2em; }
  #status.error { color: #b00020; }
  #result { white-space: pre-wrap; word-break: break-word; margin: 0; min-height: 6rem; padding: 1rem;
            font: 14px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; background: #fff;
            border: 1px solid #d9dce1; border-radius: 8px; }
  #result-prime { color: #8a8f98; }
</style>
</head>
<body data-state="idle">
<h1>charnn</h1>
<p id="model">loading the model description&hellip;</p>
<form id="form">
  <label>Prime (empty: start of a line)
    <textarea id="prime" name="prime" placeholder="text the model reads before it writes"></textarea></label>
  <div class="grid">
    <label>Temperature <input id="temperature" type="number" min="0" max="100" step="0.05" value="1"></label>
    <label>Top-p <input id="top_p" type="number" min="0.01" max="1" step="0.01" value="1"></label>
    <label>Top-k (0 = all) <input id="top_k" type="number" min="0" step="1" value="0"></label>
    <label>Length <input id="length" type="number" min="0" max="10000" step="1" value="200"></label>
    <label>Seed <input id="seed" type="number" min="0" step="1" value="1"></label>
  </div>
  <div class="actions">
    <button id="generate" type="submit">Generate</button>
    <label><input id="reseed" type="checkbox"> new seed each time</label>
  </div>
</form>
<p id="status" role="status"></p>
<pre id="result" aria-live="polite"><span id="result-prime"></span><span id="result-text"></span></pre>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const fields = ["prime", "temperature", "top_p", "top_k", "length", "seed"];

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function loadInfo() {
  try {
    const info = await (await fetch("/v1/info")).json();
    const m = info.model;
    let text = `${info.checkpoint}: ${m.layers} \u00d7 LSTM ${m.hidden}, ${m.vocab_size} characters, ` +
               `${m.parameters.toLocaleString("en")} parameters`;
    if (info.progress.epochs_done > 0) text += `, ${info.progress.epochs_done} epochs`;
    if (info.progress.best_validation_loss !== null) {
      text += `, validation loss ${info.progress.best_validation_loss.toFixed(4)} nats/char`;
    }
    $("model").textContent = text;
    $("length").max = info.limits.max_length;
  } catch (e) {
    $("model").textContent = "model description unavailable";
  }
}

function requestBody() {
  const body = { prime: $("prime").value };
  for (const f of ["temperature", "top_p"]) body[f] = Number($(f).value);
  for (const f of ["top_k", "length", "seed"]) body[f] = Math.trunc(Number($(f).value));
  return body;
}

async function generate(event) {
  if (event) event.preventDefault();
  if ($("reseed").checked) $("seed").value = Math.floor(Math.random() * 2147483648);
  $("generate").disabled = true;
  document.body.dataset.state = "busy";
  setStatus("generating\u2026", false);
  try {
    const response = await fetch("/v1/generate", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(requestBody()) });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    $("result-prime").textContent = data.prime;
    $("result-text").textContent = data.text;
    setStatus(`${data.length} characters in ${Math.round(data.milliseconds)} ms, seed ${data.seed}`, false);
    document.body.dataset.state = "done";
  } catch (e) {
    setStatus(e.message, true);
    document.body.dataset.state = "error";
  } finally {
    $("generate").disabled = false;
  }
}

const query = new URLSearchParams(location.search);
for (const f of fields) if (query.has(f)) $(f).value = query.get(f);
$("form").addEventListener("submit", generate);
loadInfo();
if (query.get("generate") === "1") generate();
</script>
</body>
</html>
)html";

}  // namespace

std::string_view web_page_html() { return kPage; }

}  // namespace charnn
