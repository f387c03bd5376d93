// Orders: POST /api/v1/orders -> durable outbox -> the order server, exactly
// once per order (by Idempotency-Key), across order server outages and
// gateway restarts; malformed orders get 400 with the field; admin lists.
'use strict';
const http = require('http');
const path = require('path');
const fs = require('fs');
const lib = require('./lib');
const { startGateway, stopGateway, assert, waitFor, sleep } = lib;

const SECRET = 'orders-it-secret-0123456789abcdef-0123456789';

// A tiny order server on 127.0.0.1: records every request (raw) and each
// order by its Idempotency-Key; stop() closes the port, start() reopens
// the same port.
function orderServer(port) {
  const byKey = new Map();
  const raw = [];
  let srv = null;
  const sockets = new Set();
  const self = {
    port, byKey, raw, status: 201,
    url: () => `http://127.0.0.1:${self.port}/orders`,
    start: () => new Promise((resolve, reject) => {
      srv = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => { body += d; });
        req.on('end', () => {
          const key = req.headers['idempotency-key'];
          raw.push({ key, body, headers: req.headers, url: req.url, method: req.method });
          const prev = byKey.get(key);
          byKey.set(key, { count: (prev ? prev.count : 0) + 1, body: JSON.parse(body) });
          res.writeHead(self.status, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        });
      });
      srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
      srv.once('error', reject);
      srv.listen(self.port, '127.0.0.1', () => { self.port = srv.address().port; resolve(); });
    }),
    stop: () => new Promise((resolve) => {
      if (!srv) { resolve(); return; }
      for (const s of sockets) s.destroy();
      srv.close(() => resolve());
      srv = null;
    }),
  };
  return self;
}

async function withServer(fn) {
  const s = orderServer(await lib.freePort());
  await s.start();
  try { return await fn(s); } finally { await s.stop(); }
}

function gwGroups(server, db, extra = {}) {
  return {
    gw: { admin_allow: ['127.0.0.1'] },
    orders: {
      url: server.url(), db, retry_min_s: 1, retry_max_s: 2, timeout_s: 3,
      max_per_min_per_ip: 1000, ...extra,
    },
    stores: [{ id: 'shop', secret: SECRET }],
  };
}

function dbFile(name) {
  const f = path.join(lib.OUTDIR, `${name}.db`);
  for (const x of [f, `${f}-wal`, `${f}-shm`]) fs.rmSync(x, { force: true });
  return f;
}

function order(n = 1) {
  return {
    store: 'shop',
    call: `call-${n}`,
    items: [{ sku: `SKU-${n}`, qty: 2, price: '19.90' }, { sku: 'B', qty: 1 }],
    customer: { name: `Shopper ${n}`, email: `s${n}@example.com`, phone: '+49 30 123' },
    reps: ['rep-a'],
  };
}

async function submit(gw, body, headers = {}) {
  const res = await fetch(`${gw.url}/api/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return { status: res.status, json, text };
}

async function admin(gw, state) {
  const res = await fetch(`${gw.url}/api/v1/admin/orders${state ? `?state=${state}` : ''}`);
  assert(res.status === 200, `admin list ${res.status}`);
  return (await res.json()).orders;
}

// (a) 201 -> the order server gets it exactly once, with its key; a
// client retry with the same Idempotency-Key is the same order.
async function deliveredOnce() {
  await withServer(async (srv) => {
    const gw = await startGateway('orders-once', gwGroups(srv, dbFile('orders-once')));
    try {
      const r = await submit(gw, order(1), { 'Idempotency-Key': 'client-retry-1' });
      assert(r.status === 201 && r.json.status === 'received' &&
        /^[0-9a-f]{32}$/.test(r.json.order), `201 received (${r.status} ${r.text})`);
      const id = r.json.order;
      await waitFor(() => srv.byKey.has(id), 5000, 'order delivered');
      const again = await submit(gw, order(1), { 'Idempotency-Key': 'client-retry-1' });
      assert(again.status === 201 && again.json.order === id,
        `same key, same order (${again.text})`);
      const clash = await submit(gw, order(2), { 'Idempotency-Key': 'client-retry-1' });
      assert(clash.status === 409, `same key, other order: 409 (${clash.status})`);
      await sleep(1500);
      assert(srv.raw.length === 1, `one request at the order server (${srv.raw.length})`);
      const got = srv.raw[0];
      assert(got.method === 'POST' && got.url === '/orders', 'POST to the configured path');
      assert(got.key === id, 'Idempotency-Key is the order id');
      assert(/^application\/json/.test(got.headers['content-type']), 'JSON');
      const b = srv.byKey.get(id).body;
      assert(b.order === id && b.store === 'shop' && b.call === 'call-1' &&
        b.items.length === 2 && b.items[0].qty === 2 && b.items[0].price === '19.90' &&
        b.customer.email === 's1@example.com' && b.reps[0] === 'rep-a' &&
        typeof b.created === 'number', `the order as submitted (${JSON.stringify(b)})`);
      const list = await admin(gw, 'delivered');
      assert(list.length === 1 && list[0].id === id && list[0].attempts === 1 &&
        list[0].delivered > 0, `admin: delivered (${JSON.stringify(list)})`);
      assert(!/Shopper|s1@example/.test(gw.log()), 'no customer details in the log');
    } finally {
      await stopGateway(gw);
    }
  });
}

// (b) the order server is down for 10 s and the gateway restarts in
// between: the order arrives exactly once when the server is back.
async function outageAndRestart() {
  await withServer(async (srv) => {
    const db = dbFile('orders-restart');
    await srv.stop();
    const t0 = Date.now();
    let gw = await startGateway('orders-restart1', gwGroups(srv, db));
    let id;
    try {
      const r = await submit(gw, order(7));
      assert(r.status === 201, `201 while the order server is down (${r.text})`);
      id = r.json.order;
      await waitFor(async () => (await admin(gw, 'pending')).some((o) => o.id === id &&
        o.attempts >= 1), 5000, 'a failed attempt recorded');
    } finally {
      await stopGateway(gw);
    }
    gw = await startGateway('orders-restart2', gwGroups(srv, db));
    try {
      const pending = await admin(gw, 'pending');
      assert(pending.some((o) => o.id === id), 'still pending after the restart');
      await sleep(Math.max(0, 10000 - (Date.now() - t0)));
      assert(srv.raw.length === 0, 'nothing delivered while down');
      await srv.start();
      await waitFor(() => srv.byKey.has(id), 8000, 'order delivered after the outage');
      await sleep(2500);
      assert(srv.raw.length === 1 && srv.byKey.get(id).count === 1,
        `exactly once (${srv.raw.length} requests)`);
      const d = await admin(gw, 'delivered');
      assert(d.some((o) => o.id === id), 'admin: delivered');
    } finally {
      await stopGateway(gw);
    }
  });
}

// (c) 100 orders submitted at once: every one arrives exactly once.
async function hundredConcurrent() {
  await withServer(async (srv) => {
    const gw = await startGateway('orders-100', gwGroups(srv, dbFile('orders-100')));
    try {
      const t0 = Date.now();
      const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => submit(gw, order(i))));
      const mc = /storegw_orders_commits_total (\d+)\n/.exec(await (await fetch(`${gw.url}/metrics`)).text());
      console.log(`hundred_concurrent: 100 orders answered in ${Date.now() - t0} ms, ` +
        `${mc ? mc[1] : '?'} outbox commits`);
      assert(rs.every((r) => r.status === 201), `all 201 (${rs.map((r) => r.status).join(',')})`);
      const ids = new Set(rs.map((r) => r.json.order));
      assert(ids.size === 100, `100 distinct order ids (${ids.size})`);
      await waitFor(() => [...ids].every((id) => srv.byKey.has(id)), 30000, '100 orders delivered');
      await sleep(1000);
      assert(srv.raw.length === 100, `100 requests (${srv.raw.length})`);
      assert([...srv.byKey.values()].every((v) => v.count === 1), 'each exactly once');
      const d = await admin(gw, 'delivered');
      assert(d.length === 100, `admin: 100 delivered (${d.length})`);
    } finally {
      await stopGateway(gw);
    }
  });
}

// (c2) the same Idempotency-Key sent 10 times at once (several in one
// group commit window): one order, every answer 201 with its id,
// delivered once.
async function sameKeyConcurrent() {
  await withServer(async (srv) => {
    const gw = await startGateway('orders-samekey', gwGroups(srv, dbFile('orders-samekey')));
    try {
      const rs = await Promise.all(Array.from({ length: 10 },
        () => submit(gw, order(7), { 'Idempotency-Key': 'same-window' })));
      assert(rs.every((r) => r.status === 201), `all 201 (${rs.map((r) => r.status).join(',')})`);
      const ids = new Set(rs.map((r) => r.json.order));
      assert(ids.size === 1, `one order id (${[...ids].join(',')})`);
      const mc = /storegw_orders_commits_total (\d+)\n/.exec(await (await fetch(`${gw.url}/metrics`)).text());
      console.log(`same_key_concurrent: ${mc ? mc[1] : '?'} outbox commits for 10 POSTs`);
      const id = [...ids][0];
      await waitFor(() => srv.byKey.has(id), 10000, 'order delivered');
      await sleep(1000);
      assert(srv.raw.length === 1, `one request at the order server (${srv.raw.length})`);
      const all = await admin(gw, 'delivered');
      assert(all.length === 1 && all[0].id === id, `admin: one delivered (${all.length})`);
    } finally {
      await stopGateway(gw);
    }
  });
}

// (c3) the outbox cannot commit (another process holds its write lock
// longer than the gateway's busy timeout): every order of the window gets
// 503 storage and none is stored or delivered; once the lock is gone,
// orders are stored again.
async function commitFails() {
  const { spawn } = require('child_process');
  await withServer(async (srv) => {
    const db = dbFile('orders-lock');
    const gw = await startGateway('orders-lock', gwGroups(srv, db));
    const locker = spawn('python3', ['-c', [
      'import sqlite3, sys, time',
      `c = sqlite3.connect(${JSON.stringify(db)}, isolation_level=None)`,
      'c.execute("BEGIN IMMEDIATE")',
      'print("locked", flush=True)',
      'time.sleep(6)',
      'c.execute("ROLLBACK")',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => {
        locker.stdout.on('data', (d) => { if (/locked/.test(d)) resolve(); });
        locker.on('exit', () => reject(new Error('locker ended early')));
      });
      const rs = await Promise.all(Array.from({ length: 3 }, (_, i) => submit(gw, order(i))));
      assert(rs.every((r) => r.status === 503 && r.json.error === 'storage'),
        `all 503 storage (${rs.map((r) => r.text).join(' ')})`);
      await new Promise((resolve) => {
        if (locker.exitCode !== null) resolve(); else locker.on('exit', resolve);
      });
      const all = await admin(gw);
      assert(all.length === 0, `nothing stored (${all.length})`);
      const ok = await submit(gw, order(9));
      assert(ok.status === 201, `stored once the lock is gone (${ok.status})`);
      await waitFor(() => srv.byKey.has(ok.json.order), 10000, 'delivered');
      assert(srv.raw.length === 1, `only that one delivered (${srv.raw.length})`);
    } finally {
      if (locker.exitCode === null) locker.kill('SIGKILL');
      await stopGateway(gw);
    }
  });
}

// (d) malformed orders: 400 naming the field, nothing stored.
async function malformed() {
  const o = order(1);
  const bad = [
    ['{"store":', ''],
    ['[]', ''],
    [{ ...o, store: 'nope' }, 'store'],
    [{ ...o, store: undefined }, 'store'],
    [{ ...o, call: 5 }, 'call'],
    [{ ...o, items: [] }, 'items'],
    [{ ...o, items: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 0 }] }, 'items[1].qty'],
    [{ ...o, items: [{ sku: 'A', qty: 1001 }] }, 'items[0].qty'],
    [{ ...o, items: [{ qty: 1 }] }, 'items[0].sku'],
    [{ ...o, items: [{ sku: 'A', qty: 1, price: 3.5 }] }, 'items[0].price'],
    [{ ...o, customer: undefined }, 'customer'],
    [{ ...o, customer: { name: 'A' } }, 'customer.email'],
    [{ ...o, customer: { name: 'A', email: 'no-at-sign' } }, 'customer.email'],
    [{ ...o, customer: { email: 'a@b.example' } }, 'customer.name'],
    [{ ...o, reps: [1] }, 'reps[0]'],
    [{ ...o, extra: true }, 'extra'],
  ];
  await withServer(async (srv) => {
    const gw = await startGateway('orders-bad', gwGroups(srv, dbFile('orders-bad')));
    try {
      const before = await admin(gw);
      for (const [body, field] of bad) {
        const r = await submit(gw, body);
        assert(r.status === 400 && r.json && r.json.error === 'bad-order' &&
          r.json.field === field && r.json.message,
        `${JSON.stringify(body).slice(0, 80)}: 400 field "${field}" (${r.status} ${r.text})`);
      }
      let r = await submit(gw, order(1), { 'Idempotency-Key': 'has space' });
      assert(r.status === 400 && r.json.field === 'Idempotency-Key', `bad key (${r.text})`);
      r = await submit(gw, JSON.stringify({ ...o, pad: 'x'.repeat(70000) }));
      assert(r.status === 413, `too large: 413 (${r.status})`);
      const res = await fetch(`${gw.url}/api/v1/orders`);
      assert(res.status === 405, `GET: 405 (${res.status})`);
      const after = await admin(gw);
      assert(after.length === before.length && after.length === 0,
        `nothing stored (${after.length})`);
      await sleep(500);
      assert(srv.raw.length === 0, 'nothing delivered');
    } finally {
      await stopGateway(gw);
    }
  });
}

// (e) admin lists the order pending, then delivered; metrics count it.
async function adminStates() {
  await withServer(async (srv) => {
    await srv.stop();
    const gw = await startGateway('orders-admin', gwGroups(srv, dbFile('orders-admin')));
    try {
      const r = await submit(gw, order(3));
      const id = r.json.order;
      let p = await admin(gw, 'pending');
      assert(p.length === 1 && p[0].id === id && p[0].state === 'pending' &&
        p[0].store === 'shop' && p[0].created > 0 && p[0].delivered === 0,
      `pending listed (${JSON.stringify(p)})`);
      assert((await admin(gw, 'delivered')).length === 0, 'none delivered yet');
      await srv.start();
      await waitFor(async () => (await admin(gw, 'delivered')).some((o) => o.id === id),
        8000, 'listed as delivered');
      p = await admin(gw, 'pending');
      assert(p.length === 0, 'no longer pending');
      const res = await fetch(`${gw.url}/api/v1/admin/orders?state=bogus`);
      assert(res.status === 400, `bad state: 400 (${res.status})`);
      const m = await (await fetch(`${gw.url}/metrics`)).text();
      assert(/storegw_orders_total\{state="delivered"\} 1\n/.test(m) &&
        /storegw_orders_outbox\{state="pending"\} 0\n/.test(m), 'metrics');
    } finally {
      await stopGateway(gw);
    }
  });
}

// The order server refuses an order for good (422): failed, not retried.
async function refusedForGood() {
  await withServer(async (srv) => {
    srv.status = 422;
    const gw = await startGateway('orders-422', gwGroups(srv, dbFile('orders-422')));
    try {
      const r = await submit(gw, order(4));
      await waitFor(async () => (await admin(gw, 'failed')).some((o) => o.id === r.json.order &&
        o.last_status === 422), 5000, 'listed as failed');
      await sleep(2500);
      assert(srv.raw.length === 1, `not retried (${srv.raw.length})`);
    } finally {
      await stopGateway(gw);
    }
  });
}

// orders.max_pending undelivered: new orders get 503, the first ones stay.
async function outboxFull() {
  await withServer(async (srv) => {
    await srv.stop();
    const gw = await startGateway('orders-full',
      gwGroups(srv, dbFile('orders-full'), { max_pending: 2 }));
    try {
      const a = await submit(gw, order(1));
      const b = await submit(gw, order(2));
      const c = await submit(gw, order(3));
      assert(a.status === 201 && b.status === 201, 'two accepted');
      assert(c.status === 503 && c.json.error === 'outbox-full', `third: 503 (${c.text})`);
      const p = await admin(gw, 'pending');
      assert(p.length === 2, `two pending (${p.length})`);
      await srv.start();
      await waitFor(async () => (await admin(gw, 'delivered')).length === 2, 8000, 'both delivered');
      const d = await submit(gw, order(4));
      assert(d.status === 201, `room again (${d.text})`);
    } finally {
      await stopGateway(gw);
    }
  });
}

// orders.url "": 503 with a clear JSON error.
async function disabled() {
  const gw = await startGateway('orders-off', { stores: [{ id: 'shop', secret: SECRET }] });
  try {
    const r = await submit(gw, order(1));
    assert(r.status === 503 && r.json.error === 'orders-disabled', `503 (${r.text})`);
  } finally {
    await stopGateway(gw);
  }
}

// A raw request (fetch may not set Origin): status, headers, body.
function request(gw, method, headers, body) {
  const u = new URL(`${gw.url}/api/v1/orders`);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, headers },
      (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      });
    req.on('error', reject);
    req.end(body);
  });
}

// CORS: a preflight from an origin in orders.allow_origins is answered
// with the method and headers the widget needs; another origin gets 403
// and no Access-Control-* header (the browser stops there), and its POST
// is refused too; the gateway's own page needs no listing.
async function cors() {
  await withServer(async (srv) => {
    const okOrigin = 'http://127.0.0.1:1';   // a store page elsewhere
    const gw = await startGateway('orders-cors',
      gwGroups(srv, dbFile('orders-cors'), { allow_origins: [okOrigin] }));
    try {
      const pre = { 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,idempotency-key' };
      let r = await request(gw, 'OPTIONS', { Origin: okOrigin, ...pre });
      assert(r.status === 204, `allowed preflight: 204 (${r.status} ${r.text})`);
      assert(r.headers['access-control-allow-origin'] === okOrigin, 'ACAO is the origin');
      assert(/POST/.test(r.headers['access-control-allow-methods'] || ''), 'allows POST');
      assert(/content-type/i.test(r.headers['access-control-allow-headers'] || '') &&
        /idempotency-key/i.test(r.headers['access-control-allow-headers'] || ''),
      `allows the widget's headers (${r.headers['access-control-allow-headers']})`);
      assert(/Origin/.test(r.headers.vary || ''), 'Vary: Origin');

      const bad = 'http://evil.example';
      r = await request(gw, 'OPTIONS', { Origin: bad, ...pre });
      assert(r.status === 403, `refused preflight: 403 (${r.status})`);
      assert(!Object.keys(r.headers).some((h) => h.startsWith('access-control-')),
        `no CORS headers for a refused origin (${JSON.stringify(r.headers)})`);

      const json = { 'Content-Type': 'application/json' };
      r = await request(gw, 'POST', { Origin: okOrigin, ...json }, JSON.stringify(order(7)));
      assert(r.status === 201 && r.headers['access-control-allow-origin'] === okOrigin,
        `allowed origin: 201 with ACAO (${r.status} ${r.text})`);
      // a "simple" text/plain POST needs no preflight: refused all the same
      r = await request(gw, 'POST', { Origin: bad, 'Content-Type': 'text/plain' },
        JSON.stringify(order(8)));
      assert(r.status === 403 && JSON.parse(r.text).error === 'origin-not-allowed',
        `refused origin's POST: 403 (${r.status} ${r.text})`);
      r = await request(gw, 'POST', { Origin: 'null', ...json }, JSON.stringify(order(9)));
      assert(r.status === 403, `Origin null: 403 (${r.status})`);
      // the gateway's own page (the demo store): same origin
      const self = new URL(gw.url).origin;
      r = await request(gw, 'POST', { Origin: self, ...json }, JSON.stringify(order(10)));
      assert(r.status === 201, `same origin: 201 (${r.status} ${r.text})`);
      await waitFor(() => srv.raw.length === 2, 5000, 'the two accepted orders delivered');
      const m = await (await fetch(`${gw.url}/metrics`)).text();
      assert(/storegw_orders_refused_total\{reason="origin"\} 3\n/.test(m),
        'metrics: 3 refused for their origin');
    } finally {
      await stopGateway(gw);
    }
  });
}

// orders.max_per_min_per_ip: the burst passes, then 429 with Retry-After;
// nothing of the refused one is stored.
async function rateLimited() {
  await withServer(async (srv) => {
    const gw = await startGateway('orders-rate',
      gwGroups(srv, dbFile('orders-rate'), { max_per_min_per_ip: 3 }));
    try {
      const rs = [];
      for (let i = 0; i < 3; i++) rs.push(await submit(gw, order(20 + i)));
      assert(rs.every((r) => r.status === 201), `burst of 3 accepted (${rs.map((r) => r.status)})`);
      const res = await fetch(`${gw.url}/api/v1/orders`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order(23)),
      });
      const body = await res.json();
      const ra = Number(res.headers.get('retry-after'));
      assert(res.status === 429 && body.error === 'rate-limited', `4th: 429 (${res.status})`);
      assert(ra >= 1 && ra <= 20, `Retry-After in seconds, about 20 (${ra})`);
      // a malformed POST costs one too: still refused before validation
      const bad = await submit(gw, '{');
      assert(bad.status === 429, `malformed while limited: 429 (${bad.status})`);
      await waitFor(() => srv.raw.length === 3, 5000, 'three delivered');
      assert((await admin(gw)).length === 3, 'three stored, not four');
      const m = await (await fetch(`${gw.url}/metrics`)).text();
      assert(/storegw_orders_refused_total\{reason="rate"\} 2\n/.test(m), 'metrics: 2 rate-limited');
    } finally {
      await stopGateway(gw);
    }
  });
}

// https to the order server: its certificate (made here with openssl,
// subjectAltName IP 127.0.0.1) checked against orders.tls_ca; a CA that
// did not sign it: nothing delivered, the order stays pending.
async function httpsServer() {
  const https = require('https');
  const { execFileSync } = require('child_process');
  const dir = fs.mkdtempSync(path.join(lib.OUTDIR, 'orders-tls-'));
  const mk = (name) => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.pem`)],
    { stdio: 'ignore' });
    return path.join(dir, `${name}.pem`);
  };
  const cert = mk('server');
  const other = mk('other');
  const got = [];
  const srv = https.createServer({ key: fs.readFileSync(path.join(dir, 'server.key')),
    cert: fs.readFileSync(cert) }, (req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      got.push({ key: req.headers['idempotency-key'], body: JSON.parse(body) });
      res.writeHead(201);
      res.end();
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${srv.address().port}/orders`;
  const start = (name, ca) => startGateway(name, {
    orders: { url, db: dbFile(name), tls_ca: ca, retry_min_s: 1, retry_max_s: 2 },
    stores: [{ id: 'shop', secret: SECRET }],
    gw: { admin_allow: ['127.0.0.1'] },
  });
  try {
    let gw = await start('orders-https', cert);
    try {
      const r = await submit(gw, order(30));
      assert(r.status === 201, `accepted (${r.text})`);
      await waitFor(() => got.some((g) => g.key === r.json.order), 8000, 'delivered over https');
      assert(got[0].body.store === 'shop', 'the order arrived whole');
    } finally {
      await stopGateway(gw);
    }
    gw = await start('orders-https-badca', other);
    try {
      const r = await submit(gw, order(31));
      assert(r.status === 201, `accepted (${r.text})`);
      await sleep(3000);
      assert(!got.some((g) => g.key === r.json.order), 'not delivered to an unverified server');
      const p = await admin(gw, 'pending');
      assert(p.length === 1 && p[0].attempts >= 1, `pending, retried (${JSON.stringify(p)})`);
    } finally {
      await stopGateway(gw);
    }
  } finally {
    srv.close();
  }
}

module.exports = [
  { name: 'delivered_once', fn: deliveredOnce, timeout: 30000 },
  { name: 'outage_and_restart', fn: outageAndRestart, timeout: 60000 },
  { name: 'hundred_concurrent', fn: hundredConcurrent, timeout: 60000 },
  { name: 'same_key_concurrent', fn: sameKeyConcurrent, timeout: 30000 },
  { name: 'commit_fails', fn: commitFails, timeout: 30000 },
  { name: 'malformed', fn: malformed, timeout: 30000 },
  { name: 'admin_states', fn: adminStates, timeout: 30000 },
  { name: 'refused_for_good', fn: refusedForGood, timeout: 30000 },
  { name: 'outbox_full', fn: outboxFull, timeout: 30000 },
  { name: 'disabled', fn: disabled, timeout: 20000 },
  { name: 'cors', fn: cors, timeout: 30000 },
  { name: 'rate_limited', fn: rateLimited, timeout: 30000 },
  { name: 'https', fn: httpsServer, timeout: 40000 },
];
