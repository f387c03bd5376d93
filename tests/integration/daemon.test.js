// The daemon: config checking, HTTP basics, SIGHUP reload, SIGTERM with a call up.
'use strict';
const { execFile } = require('child_process');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');
const lib = require('./lib');
const { startGateway, stopGateway, newPage, assert, waitFor, httpGet, sleep } = lib;

function run(args) {
  return new Promise((resolve) => execFile(lib.STOREGW, args, (err, stdout, stderr) =>
    resolve({ code: err ? err.code : 0, out: stdout + stderr })));
}

async function checkConfig() {
  const good = lib.writeConf('good.conf', { webrtc: { port_min: 30000, port_max: 30100 } });
  let r = await run(['--check-config', good]);
  assert(r.code === 0, `valid config accepted (${r.out})`);
  const bad = path.join(lib.OUTDIR, 'bad.conf');
  fs.writeFileSync(bad, 'gw: {\n  max_calls = 10;\n  max_cals = 5;\n};\n');
  r = await run(['--check-config', bad]);
  assert(r.code === 1 && r.out.includes(`${bad}:3: unknown key 'gw.max_cals'`),
    `bad config: file:line and what (${r.out})`);
  r = await run(['-c', bad]);
  assert(r.code === 1 && r.out.includes(`${bad}:3:`), `start-up refused (${r.out})`);
  r = await run(['--version']);
  assert(r.code === 0 && /^storegw \d/.test(r.out), 'version');
  r = await run(['--print-default-config']);
  const shipped = fs.readFileSync(path.join(__dirname, '../../etc/storegw.conf'), 'utf8');
  assert(shipped.includes(r.out.trim()), 'etc/storegw.conf lists every key with its default');
}

async function httpBasics() {
  const gw = await startGateway('http', { gw: { admin_allow: ['::1'] } });
  try {
    let r = await httpGet(`${gw.url}/healthz`);
    assert(r.status === 200, 'healthz 200');
    r = await httpGet(`${gw.url}/`);
    assert(r.status === 200 && /<html|<!doctype/i.test(r.text), 'index page');
    r = await httpGet(`${gw.url}/nope.html`);
    assert(r.status === 404, `404 (${r.status})`);
    r = await httpGet(`${gw.url}/../../etc/passwd`);
    assert(r.status === 404 || r.status === 400, `no traversal (${r.status})`);
    r = await httpGet(`${gw.url}/metrics`);
    assert(r.status === 403, `metrics refused to an address not in admin_allow (${r.status})`);
  } finally {
    await stopGateway(gw);
  }
}

function wsOnce(url, msg) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send(JSON.stringify(msg)));
    ws.on('message', (d) => { resolve(JSON.parse(d.toString())); ws.close(); });
    ws.on('error', reject);
  });
}

async function sighup() {
  const gw = await startGateway('sighup');
  try {
    let r = await wsOnce(gw.ws, { type: 'call', call: 'a', to: 'echo', media: 'chat' });
    assert(r.type === 'connected', 'echo allowed before reload');
    // valid change: echo no longer public
    const conf = fs.readFileSync(gw.file, 'utf8').replace('gw: {', 'gw: {\n  echo_public = false;');
    fs.writeFileSync(gw.file, conf);
    gw.proc.kill('SIGHUP');
    await waitFor(() => /reloaded/.test(gw.log()), 5000, 'reload logged');
    r = await wsOnce(gw.ws, { type: 'call', call: 'b', to: 'echo', media: 'chat' });
    assert(r.type === 'error' && r.code === 'forbidden', `echo refused after reload (${JSON.stringify(r)})`);
    // invalid change: refused, the gateway keeps running on the old config
    fs.writeFileSync(gw.file, conf.replace('gw: {', 'gw: {\n  bogus = 1;'));
    gw.proc.kill('SIGHUP');
    await waitFor(() => /reload refused/.test(gw.log()), 5000, 'reload refused logged');
    r = await httpGet(`${gw.url}/healthz`);
    assert(r.status === 200, 'still serving');
  } finally {
    await stopGateway(gw);
  }
}

async function sigterm() {
  const gw = await startGateway('sigterm');
  const { page, close } = await newPage(gw);
  try {
    await page.evaluate(async (ws) => {
      window.c1 = await sg.open(ws);
      await sg.call(window.c1, 't', 'echo');
      await sg.next(window.c1, (m) => m.type === 'connected');
    }, gw.ws);
    await sleep(500);
    gw.proc.kill('SIGTERM');
    const h = await page.evaluate(() => sg.next(window.c1, (m) => m.type === 'hangup', 5000));
    assert(h.reason === 'shutdown', `browser told: shutdown (${JSON.stringify(h)})`);
    const r = await gw.exited;
    assert(r.code === 0, `exit 0 (${JSON.stringify(r)})`);
    assert(/call freed/.test(gw.log()), 'call freed before exit');
  } finally {
    await close();
    await stopGateway(gw);
  }
}

function wsConnect(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => resolve({ ok: true, ws }));
    ws.on('unexpected-response', (req, res) => resolve({ ok: false, status: res.statusCode }));
    ws.on('error', () => resolve({ ok: false }));
  });
}

async function perIpLimit() {
  const gw = await startGateway('perip', { webrtc: { ws_max_conns_per_ip: 3 } });
  const open = [];
  try {
    for (let i = 0; i < 3; i++) {
      const r = await wsConnect(gw.ws);
      assert(r.ok, `connection ${i + 1} of 3 accepted`);
      open.push(r.ws);
    }
    const r4 = await wsConnect(gw.ws);
    assert(!r4.ok, `4th connection from one IP refused (${r4.status})`);
    open.shift().close();
    await sleep(300);
    const r5 = await wsConnect(gw.ws);
    assert(r5.ok, 'accepted again once one closed');
    open.push(r5.ws);
    const m = await lib.metrics(gw);
    assert(m.ws_rejected_total === 1, `rejection counted (${m.ws_rejected_total})`);
  } finally {
    open.forEach((w) => w.close());
    await stopGateway(gw);
  }
}

module.exports = [
  { name: 'ws_per_ip_limit', fn: perIpLimit },
  { name: 'check_config', fn: checkConfig },
  { name: 'http_basics', fn: httpBasics },
  { name: 'sighup_reload', fn: sighup },
  { name: 'sigterm_ends_calls', fn: sigterm },
];
