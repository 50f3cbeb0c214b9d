// The scanner page's shell: reads the files the person gives, hands their bytes to teescan's
// core (WebAssembly), shows the HTML report and offers both reports for download. No network:
// the module arrives as a script (pkg/module.js holds it in base64), never through fetch.
import init, { Page, bundled_policies, trust_anchors } from './pkg/teescan_web.js';
import { WASM } from './pkg/module.js';

const $ = (id) => document.getElementById(id);
const state = { evidence: null, collateral: [], nras: null, jwks: null, policyFile: null, last: null };
let page = null;

function nowRfc3339() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function bytesOf(file) {
  return new Uint8Array(await file.arrayBuffer());
}

function showFiles() {
  $('evidence-files').textContent = state.evidence ? state.evidence.name : '';
  $('collateral-files').textContent = state.collateral.length ? `${state.collateral.length} files` : '';
  $('nras-files').textContent = [state.nras && `NRAS: ${state.nras.name}`, state.jwks && `JWKS: ${state.jwks.name}`].filter(Boolean).join(' · ');
  $('policy-files').textContent = state.policyFile ? `file: ${state.policyFile.name}` : '';
}

function setStatus(kind, text) {
  const s = $('status');
  s.className = `status ${kind}`;
  s.dataset.state = kind;
  s.textContent = text;
}

async function readInto(slot, files) {
  const list = [...files];
  for (const f of list) {
    const entry = { name: f.webkitRelativePath || f.name, bytes: await bytesOf(f) };
    if (slot === 'evidence') state.evidence = entry;
    else if (slot === 'collateral') state.collateral.push(entry);
    else if (slot === 'nras') state.nras = entry;
    else if (slot === 'jwks') state.jwks = entry;
    else if (slot === 'policy') { state.policyFile = entry; $('policy-select').value = ''; }
  }
  showFiles();
}

function classify(name) {
  const n = name.toLowerCase();
  if (n.endsWith('.toml')) return 'policy';
  if (n.includes('jwks')) return 'jwks';
  if (n.includes('nras') && n.includes('attest')) return 'nras';
  if (n.endsWith('.body') || (n.endsWith('.json') && /^\d{4}_/.test(n.split('/').pop()))) return 'collateral';
  return 'evidence';
}

function download(name, type, text) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function scan() {
  page.clear();
  if (state.evidence) page.set_evidence(state.evidence.name, state.evidence.bytes);
  for (const c of state.collateral) page.add_collateral(c.name, c.bytes);
  if (state.nras) page.set_nras(state.nras.bytes);
  if (state.jwks) page.set_jwks(state.jwks.bytes);
  const bundled = $('policy-select').value;
  if (bundled) page.use_bundled_policy(bundled);
  else if (state.policyFile) page.set_policy(state.policyFile.bytes);
  const at = $('at').value.trim() || nowRfc3339();
  $('at').value = at;
  const t0 = performance.now();
  let out;
  try {
    out = page.scan(at, $('nonce').value);
  } catch (e) {
    const ms = performance.now() - t0;
    state.last = { error: String(e.message || e), ms };
    window.teescanLast = state.last;
    setStatus('error', `Cannot scan: ${state.last.error}`);
    $('report').style.display = 'none';
    $('download-html').disabled = $('download-json').disabled = true;
    return;
  }
  const ms = performance.now() - t0;
  const report = { exitCode: out.exit_code, json: out.json, html: out.html, ms };
  out.free();
  state.last = report;
  window.teescanLast = report;
  const r = JSON.parse(report.json);
  const first = (r.checks || []).find((c) => c.status === 'fail');
  const label = r.verdict.toUpperCase();
  setStatus(r.verdict, `${label}${first && r.verdict === 'fail' ? ` — ${first.id}` : ''} (exit code ${report.exitCode}; verified as of ${r.verified_at}; ${Math.round(ms)} ms in this page)`);
  const frame = $('report');
  frame.srcdoc = report.html;
  frame.style.display = 'block';
  $('download-html').disabled = $('download-json').disabled = false;
}

function fillTables() {
  const anchors = JSON.parse(trust_anchors());
  $('anchors').replaceChildren(...anchors.map((a) => row([a.name, a.sha256])));
  const policies = JSON.parse(bundled_policies());
  $('policies').replaceChildren(...policies.map((p) => row([p.name, p.id, p.sha256])));
  for (const p of policies) {
    const o = document.createElement('option');
    o.value = p.name;
    o.textContent = `${p.name} (${p.id})`;
    $('policy-select').appendChild(o);
  }
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.appendChild(td);
  }
  return tr;
}

async function main() {
  $('at').value = nowRfc3339();
  const bin = Uint8Array.from(atob(WASM), (c) => c.charCodeAt(0));
  await init({ module_or_path: bin });
  page = new Page();
  fillTables();
  for (const [id, slot] of [['evidence', 'evidence'], ['collateral', 'collateral'], ['collateral-dir', 'collateral'], ['nras', 'nras'], ['jwks', 'jwks'], ['policy-file', 'policy']]) {
    $(id).addEventListener('change', (e) => readInto(slot, e.target.files));
  }
  $('policy-select').addEventListener('change', () => { if ($('policy-select').value) { state.policyFile = null; showFiles(); } });
  $('scan').addEventListener('click', scan);
  $('clear').addEventListener('click', () => {
    Object.assign(state, { evidence: null, collateral: [], nras: null, jwks: null, policyFile: null });
    for (const id of ['evidence', 'collateral', 'collateral-dir', 'nras', 'jwks', 'policy-file']) $(id).value = '';
    showFiles();
  });
  $('download-html').addEventListener('click', () => state.last && download('teescan-report.html', 'text/html', state.last.html));
  $('download-json').addEventListener('click', () => state.last && download('teescan-report.json', 'application/json', state.last.json));
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', async (e) => {
    e.preventDefault();
    const groups = {};
    for (const f of e.dataTransfer.files) (groups[classify(f.name)] ||= []).push(f);
    for (const [slot, files] of Object.entries(groups)) await readInto(slot, files);
  });
  $('scan').textContent = 'Scan';
  $('scan').disabled = false;
  document.body.dataset.ready = 'true';
}

main().catch((e) => setStatus('error', `The page could not start: ${e.message || e}`));
