// The scanner page's shell: reads the files the person gives, hands their bytes to teescan's
// core (WebAssembly), shows the HTML report and offers both reports for download. No network:
// the module arrives as a script (pkg/module.js holds it in base64), never through fetch.
import init, { Page, bundled_policies, trust_anchors, is_bundle_folder } from './pkg/teescan_web.js';
import { WASM } from './pkg/module.js';

const $ = (id) => document.getElementById(id);
// Each slot is a CLI flag: a file is { name, bytes }, a folder { folder, files: [{ name, bytes }] }.
const empty = () => ({ evidence: null, certChain: null, gpuEvidence: [], collateral: [], rims: [], ocsp: [], nras: null, jwks: null,
  signature: null, request: null, response: null, policyFile: null });
const state = { ...empty(), last: null };
let page = null;

function nowRfc3339() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function bytesOf(file) {
  return new Uint8Array(await file.arrayBuffer());
}

const label = (x) => (x ? (x.folder ? `${x.folder}/ (${x.files.length} files)` : x.name) : '');
const many = (flag, list) => (list.length ? `${flag}: ${list.map(label).join(', ')}` : '');
const one = (flag, x) => (x ? `${flag}: ${label(x)}` : '');

function showFiles() {
  $('evidence-files').textContent = [label(state.evidence), one('--cert-chain', state.certChain), many('--gpu-evidence', state.gpuEvidence)].filter(Boolean).join(' · ');
  $('collateral-files').textContent = state.collateral.length > 3 ? `${state.collateral.length} items` : state.collateral.map(label).join(', ');
  $('nvidia-files').textContent = [many('--rims', state.rims), many('--ocsp', state.ocsp), one('NRAS', state.nras), one('JWKS', state.jwks)].filter(Boolean).join(' · ');
  $('signature-files').textContent = [one('--signature', state.signature), one('--request', state.request), one('--response', state.response)].filter(Boolean).join(' · ');
  $('policy-files').textContent = state.policyFile ? `file: ${state.policyFile.name}` : '';
}

function setStatus(kind, text) {
  const s = $('status');
  s.className = `status ${kind}`;
  s.dataset.state = kind;
  s.textContent = text;
}

// A folder from its files: { name: relative path under the folder's parent, bytes }.
function folderOf(entries) {
  const folder = entries.length ? entries[0].name.split('/')[0] : '';
  return { folder, files: entries };
}

async function readFiles(files) {
  const out = [];
  for (const f of [...files]) out.push({ name: f.webkitRelativePath || f.name, bytes: await bytesOf(f) });
  return out;
}

// Put files (or a folder: `folder` true) into a slot. `window.teescanReads` counts the inputs
// read (the browser test waits on it).
window.teescanReads = 0;
async function put(slot, entries, folder = false) {
  window.teescanReads += 1;
  if (!entries.length) return;
  if (folder) {
    const f = folderOf(entries);
    if (slot === 'evidence') state.evidence = f;
    else state.collateral.push(f);
  } else {
    for (const e of entries) {
      if (slot === 'evidence') state.evidence = e;
      else if (slot === 'cert-chain') state.certChain = e;
      else if (slot === 'gpu-evidence') state.gpuEvidence.push(e);
      else if (slot === 'collateral') state.collateral.push(e);
      else if (slot === 'rims') state.rims.push(e);
      else if (slot === 'ocsp') state.ocsp.push(e);
      else if (slot === 'nras') state.nras = e;
      else if (slot === 'jwks') state.jwks = e;
      else if (slot === 'signature') state.signature = e;
      else if (slot === 'request') state.request = e;
      else if (slot === 'response') state.response = e;
      else if (slot === 'policy') { state.policyFile = e; $('policy-select').value = ''; }
    }
  }
  showFiles();
}

// Which slot a dropped file goes to, by its name (the scan itself classifies the contents, as
// the CLI does): the user can always pick the slot instead.
function classify(name) {
  const n = name.toLowerCase();
  if (n.endsWith('.toml')) return 'policy';
  if (n.includes('jwks')) return 'jwks';
  if (n.includes('nras') && n.includes('attest')) return 'nras';
  if (n.endsWith('.body') || (n.endsWith('.json') && /^\d{4}_/.test(n.split('/').pop()))) return 'collateral';
  return 'evidence';
}

// Every file under a dropped directory entry, with its path from the dropped folder's parent.
async function walk(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((ok, no) => entry.file(ok, no));
    out.push({ name: entry.fullPath.replace(/^\//, ''), bytes: await bytesOf(file) });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((ok, no) => reader.readEntries(ok, no));
      if (!batch.length) break;
      for (const e of batch) await walk(e, out);
    }
  }
  return out;
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
  const ev = state.evidence;
  if (ev && ev.folder) {
    page.set_evidence_folder(ev.folder);
    for (const f of ev.files) page.add_evidence_file(f.name, f.bytes);
  } else if (ev) page.set_evidence(ev.name, ev.bytes);
  if (state.certChain) page.set_cert_chain(state.certChain.name, state.certChain.bytes);
  for (const g of state.gpuEvidence) page.add_gpu_evidence(g.name, g.bytes);
  for (const c of state.collateral) {
    if (c.folder) {
      page.add_collateral_folder(c.folder);
      for (const f of c.files) page.add_collateral_folder_file(f.name, f.bytes);
    } else page.add_collateral(c.name, c.bytes);
  }
  for (const r of state.rims) page.add_rim(r.name, r.bytes);
  for (const o of state.ocsp) page.add_ocsp(o.name, o.bytes);
  if (state.nras) page.set_nras(state.nras.name, state.nras.bytes);
  if (state.jwks) page.set_jwks(state.jwks.name, state.jwks.bytes);
  if (state.signature) page.set_signature(state.signature.name, state.signature.bytes);
  if (state.request) page.set_request(state.request.name, state.request.bytes);
  if (state.response) page.set_response(state.response.name, state.response.bytes);
  const bundled = $('policy-select').value;
  if (bundled) page.use_bundled_policy(bundled);
  else if (state.policyFile) page.set_policy(state.policyFile.name, state.policyFile.bytes);
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
  const inputs = [['evidence', 'evidence'], ['cert-chain', 'cert-chain'], ['gpu-evidence', 'gpu-evidence'], ['collateral', 'collateral'],
    ['rims', 'rims'], ['ocsp', 'ocsp'], ['nras', 'nras'], ['jwks', 'jwks'], ['signature', 'signature'], ['request', 'request'],
    ['response', 'response'], ['policy-file', 'policy']];
  for (const [id, slot] of inputs) $(id).addEventListener('change', async (e) => put(slot, await readFiles(e.target.files)));
  for (const [id, slot] of [['evidence-dir', 'evidence'], ['collateral-dir', 'collateral']]) {
    $(id).addEventListener('change', async (e) => put(slot, await readFiles(e.target.files), true));
  }
  $('policy-select').addEventListener('change', () => { if ($('policy-select').value) { state.policyFile = null; showFiles(); } });
  $('scan').addEventListener('click', scan);
  $('clear').addEventListener('click', () => {
    Object.assign(state, empty());
    for (const [id] of inputs) $(id).value = '';
    $('evidence-dir').value = $('collateral-dir').value = '';
    showFiles();
  });
  $('download-html').addEventListener('click', () => state.last && download('teescan-report.html', 'text/html', state.last.html));
  $('download-json').addEventListener('click', () => state.last && download('teescan-report.json', 'application/json', state.last.json));
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', async (e) => {
    e.preventDefault();
    const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    const groups = {};
    for (const entry of entries) {
      if (entry.isDirectory) {
        const files = await walk(entry, []);
        // The library decides whether the folder is a bundle (its manifest), as the CLI does.
        await put(is_bundle_folder(files.map((f) => f.name).join('\n')) ? 'evidence' : 'collateral', files, true);
      } else {
        const file = await new Promise((ok, no) => entry.file(ok, no));
        (groups[classify(file.name)] ||= []).push(file);
      }
    }
    for (const [slot, files] of Object.entries(groups)) await put(slot, await readFiles(files));
  });
  $('scan').textContent = 'Scan';
  $('scan').disabled = false;
  document.body.dataset.ready = 'true';
}

main().catch((e) => setStatus('error', `The page could not start: ${e.message || e}`));
