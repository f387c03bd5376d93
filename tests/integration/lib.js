// Shared helpers for the integration tests: the real storegw binary,
// headless Chromium (Debian's, driven by playwright-core), loopback only.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const BUILDDIR = process.env.SG_BUILDDIR || path.resolve(__dirname, '../../build');
const STOREGW = process.env.STOREGW || path.join(BUILDDIR, 'gw/storegw');
const OUTDIR = process.env.SG_TEST_OUT ||
  fs.mkdtempSync(path.join(os.tmpdir(), 'storegw-it-'));
fs.mkdirSync(OUTDIR, { recursive: true });

const children = new Set();

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// Ports for the processes a test starts. They come from below the kernel's
// ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default):
// a port the OS handed out and we closed again could be taken the next
// moment by any process binding port 0 or connecting (Chromium, Kamailio,
// baresip, fetch), which made a gateway fail with "Address already in
// use" now and then. Each port is checked free for TCP and UDP on
// 127.0.0.1; the counter starts at a per-process offset so two runners do
// not walk the same ports.
const dgram = require('dgram');
const PORT_LO = 10000; const PORT_HI = 20999;   // signalling, HTTP
const MEDIA_LO = 21000; const MEDIA_HI = 32699; // RTP ranges
let nextPort = PORT_LO + (process.pid % 50) * 200;
const tryBind = (port, udp) => new Promise((resolve) => {
  const s = udp ? dgram.createSocket('udp4') : net.createServer();
  s.once('error', () => resolve(false));
  const done = () => s.close(() => resolve(true));
  if (udp) s.bind(port, '127.0.0.1', done); else s.listen(port, '127.0.0.1', done);
});

// n consecutive ports free for both TCP and UDP on 127.0.0.1 (baresip
// binds SIP on port and SIP/TLS on port + 1).
async function freePorts(n) {
  for (let attempt = 0; attempt < 2000; attempt++) {
    if (nextPort + n > PORT_HI) nextPort = PORT_LO;
    const base = nextPort;
    nextPort += n;
    let ok = true;
    for (let i = 0; ok && i < n; i++) {
      ok = (await tryBind(base + i, false)) && (await tryBind(base + i, true));
    }
    if (ok) return base;
  }
  throw new Error(`no ${n} consecutive free ports`);
}

function freePort() { return freePorts(1); }

let portBase = MEDIA_LO + (process.pid % 100) * 100;
function mediaPorts(n = 40) {
  if (portBase + n > MEDIA_HI) portBase = MEDIA_LO;
  const r = [portBase, portBase + n - 1];
  portBase += n;
  return r;
}

// Write a config file; groups is {gw:{..}, media:{..}, webrtc:{..}, sip:{..},
// stores:[{..}, ..]}: an object is a group, an array of objects a list of
// groups (libconfig "( {..}, {..} )").
function writeConf(name, groups) {
  const fmt = (v) => Array.isArray(v) ? `[${v.map(fmt).join(', ')}]`
    : typeof v === 'string' ? JSON.stringify(v) : String(v);
  const group = (keys, indent) => Object.entries(keys)
    .map(([k, v]) => `${indent}${k} = ${fmt(v)};\n`).join('');
  let text = '';
  for (const [g, keys] of Object.entries(groups)) {
    if (Array.isArray(keys)) {
      text += `${g}: (\n${keys.map((k) => `  {\n${group(k, '    ')}  }`).join(',\n')}\n);\n`;
    } else {
      text += `${g}: {\n${group(keys, '  ')}};\n`;
    }
  }
  const file = path.join(OUTDIR, name);
  fs.writeFileSync(file, text);
  return file;
}

// Start storegw with a config; resolves when it listens. wrap: a command
// that execs storegw (e.g. ['ip', 'netns', 'exec', ns]): the PID stays.
async function startGateway(name, groups = {}, { wrap = [] } = {}) {
  const httpPort = await freePort();
  const [pmin, pmax] = mediaPorts();
  const conf = {
    ...groups,
    gw: { log_level: 'info', ...(groups.gw || {}) },
    media: { ...(groups.media || {}) },
    webrtc: { listen: `127.0.0.1:${httpPort}`, port_min: pmin, port_max: pmax,
      media_addrs: ['127.0.0.1'], ...(groups.webrtc || {}) },
  };
  const file = writeConf(`${name}.conf`, conf);
  const logFile = path.join(OUTDIR, `${name}.log`);
  const log = fs.createWriteStream(logFile);
  const argv = [...wrap, STOREGW, '-c', file];
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let text = '';
  const onData = (d) => { text += d.toString(); log.write(d); };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => {
    children.delete(proc);
    resolve({ code, sig });
  }));
  const t0 = Date.now();
  while (!/listening on http:\/\//.test(text)) {
    if (proc.exitCode !== null) throw new Error(`storegw exited: ${text}`);
    if (Date.now() - t0 > 15000) throw new Error(`storegw did not start: ${text}`);
    await sleep(20);
  }
  return {
    proc, file, conf, exited, logFile,
    url: `http://127.0.0.1:${httpPort}`,
    ws: `ws://127.0.0.1:${httpPort}/api/v1/ws`,
    log: () => text,
  };
}

async function stopGateway(gw, timeoutMs = 10000) {
  if (gw.proc.exitCode !== null) return gw.exited;
  gw.proc.kill('SIGTERM');
  const r = await Promise.race([gw.exited, sleep(timeoutMs).then(() => null)]);
  if (!r) { gw.proc.kill('SIGKILL'); throw new Error('storegw ignored SIGTERM'); }
  return r;
}

async function httpGet(url) {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function metrics(gw) {
  const { text } = await httpGet(`${gw.url}/metrics`);
  const m = {};
  for (const line of text.split('\n')) {
    const mm = /^storegw_(\w+) (\d+)$/.exec(line);
    if (mm) m[mm[1]] = Number(mm[2]);
  }
  return m;
}

let browser = null;
async function getBrowser() {
  if (browser) return browser;
  const { chromium } = require('playwright-core');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required'],
  });
  return browser;
}

// A page on the gateway's origin with the call helpers installed.
async function newPage(gw) {
  const b = await getBrowser();
  const ctx = await b.newContext();
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log('  page error:', e.message));
  await page.goto(`${gw.url}/`);
  await page.addScriptTag({ path: path.join(__dirname, 'page.js') });
  return { page, close: () => ctx.close() };
}

async function cleanup() {
  if (browser) { await browser.close().catch(() => {}); browser = null; }
  for (const p of children) { try { p.kill('SIGKILL'); } catch (e) { /* gone */ } }
}

function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }

async function waitFor(fn, timeoutMs, what) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// A WebSocket API client outside the browser: send objects (or raw
// text), take replies in order.
function wsClient(url) {
  const WebSocket = require('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const q = []; const waiters = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      const w = waiters.shift();
      if (w) w(m); else q.push(m);
    });
    ws.on('open', () => resolve({
      ws,
      send: (o) => ws.send(typeof o === 'string' ? o : JSON.stringify(o)),
      next: (ms = 5000) => (q.length ? Promise.resolve(q.shift())
        : new Promise((res, rej) => {
          const w = (m) => { clearTimeout(t); res(m); };
          // a waiter that timed out leaves the queue: it must not swallow
          // the next message
          const t = setTimeout(() => {
            const i = waiters.indexOf(w);
            if (i >= 0) waiters.splice(i, 1);
            rej(new Error('no reply in time'));
          }, ms);
          waiters.push(w);
        })),
    }));
    ws.on('error', reject);
  });
}

module.exports = {
  wsClient,
  STOREGW, OUTDIR, sleep, freePort, freePorts, writeConf, startGateway, stopGateway,
  httpGet, metrics, newPage, cleanup, assert, waitFor, getBrowser,
};
