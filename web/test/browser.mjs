// Drive the scanner page in headless Chromium (Debian's, through playwright-core from npm) on
// loopback: serve web/ on 127.0.0.1, load the page, give it each case's files through its file
// inputs, press Scan, and print what the page showed — plus every request the page issued.
//
//   node web/test/browser.mjs SPEC.json   → JSON on stdout
//
// SPEC: { "web_dir", "chromium", "tools", "cases": [{ "name", "evidence" | "evidence_dir",
//         "cert_chain", "gpu_evidence": [paths], "collateral": [paths], "collateral_dirs": [dirs],
//         "rims": [paths], "ocsp": [paths], "nras", "jwks", "signature", "request", "response",
//         "policy" (bundled name) | "policy_file", "at", "nonce", "repeat"? }], "repeat": N,
//         "screenshots": [{ "case", "path", "scroll_to"? }] }
// Chromium also gets --host-resolver-rules mapping every name but 127.0.0.1 to nothing, so a
// request outside loopback could not succeed even if the page tried; the log still records it.
import { createServer } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, normalize } from 'node:path';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(join(spec.tools, 'npm') + '/');
const { chromium } = require('playwright-core');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };
const served = [];
const server = createServer((req, res) => {
  served.push(req.url);
  const path = normalize(join(spec.web_dir, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  let file = path.endsWith('/') ? join(path, 'index.html') : path;
  try {
    if (!file.startsWith(normalize(spec.web_dir)) || !statSync(file).isFile()) throw new Error('no');
    res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' });
    res.end(readFileSync(file));
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: spec.chromium,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ],
});
const requests = [];
let recording = true;
const consoleErrors = [];
const context = await browser.newContext({ viewport: { width: 1280, height: 1500 }, acceptDownloads: true });
context.on('request', (r) => { if (recording) requests.push(r.url()); });
const page = await context.newPage();
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

const t0 = Date.now();
await page.goto(`${origin}/index.html`);
await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
const loadMs = Date.now() - t0;

// Give one input its files (a path or a list of paths; a directory for a folder input) and
// wait until the page has read them.
async function give(selector, files) {
  const before = await page.evaluate(() => window.teescanReads);
  await page.setInputFiles(selector, files);
  await page.waitForFunction((n) => window.teescanReads > n, before);
}

async function run(c) {
  await page.click('#clear');
  if (c.evidence) await give('#evidence', c.evidence);
  if (c.evidence_dir) await give('#evidence-dir', c.evidence_dir);
  if (c.cert_chain) await give('#cert-chain', c.cert_chain);
  if (c.gpu_evidence?.length) await give('#gpu-evidence', c.gpu_evidence);
  if (c.collateral?.length) await give('#collateral', c.collateral);
  for (const d of c.collateral_dirs || []) await give('#collateral-dir', d);
  if (c.rims?.length) await give('#rims', c.rims);
  if (c.ocsp?.length) await give('#ocsp', c.ocsp);
  for (const k of ['nras', 'jwks', 'signature', 'request', 'response']) if (c[k]) await give(`#${k}`, c[k]);
  await page.selectOption('#policy-select', c.policy || '');
  if (c.policy_file) await give('#policy-file', c.policy_file);
  await page.fill('#at', c.at || '');
  await page.fill('#nonce', c.nonce || '');
  await page.evaluate(() => { window.teescanLast = undefined; });
  await page.click('#scan');
  await page.waitForFunction(() => window.teescanLast !== undefined, null, { timeout: 120000 });
  const last = await page.evaluate(() => window.teescanLast);
  const status = await page.$eval('#status', (s) => ({ state: s.dataset.state, text: s.textContent }));
  return { ...last, status };
}

const results = {};
for (const c of spec.cases) {
  results[c.name] = await run(c);
  const times = [];
  for (let i = 1; i < (c.repeat ?? spec.repeat ?? 1); i++) times.push((await run(c)).ms);
  if (times.length) results[c.name].repeat_ms = times;
}
for (const s of spec.screenshots || []) {
  await run(spec.cases.find((c) => c.name === s.case));
  await page.waitForTimeout(300);
  if (s.scroll_to) {
    // The report frame, scrolled to a section (e.g. the chain-of-trust picture).
    await page.$eval('#report', (f, id) => f.contentDocument.getElementById(id).scrollIntoView(), s.scroll_to);
    await page.waitForTimeout(200);
    await (await page.$('#report')).screenshot({ path: s.path });
  } else {
    await page.screenshot({ path: s.path, fullPage: false });
  }
}
recording = false;
// Control: the same logging sees a request outside loopback (a navigation the page's CSP does
// not govern), so an empty list above means none was made, not that none could be seen.
const control = [];
const page2 = await context.newPage();
page2.on('request', (r) => control.push(r.url()));
await page2.goto('http://teescan-control.invalid/').catch(() => {});
await page2.close();
await browser.close();
server.close();
process.stdout.write(JSON.stringify({ origin, load_ms: loadMs, requests, control_requests: control, served, console_errors: consoleErrors, results }));
