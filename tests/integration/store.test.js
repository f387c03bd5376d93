// The demo store and the widget (storegw.js) in headless Chromium, phone
// and desktop sizes: catalogue -> product -> video call to echo (frames
// decoded, chat echoed, mute, switch, hang-up) -> cart -> order form; a
// keyboard-only pass; accessible names; the messages for denied camera,
// unreachable gateway and a refused call. The demo token endpoint and
// deny-by-default. Screenshots of each step under lib.OUTDIR.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const lib = require('./lib');

const { assert, waitFor, sleep } = lib;
const SECRET = 'demo-store-secret-0123456789abcdef-0123';
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

function knowsGroup(name) {
  const out = execFileSync(lib.STOREGW, ['--print-default-config']).toString();
  return new RegExp(`^${name}:`, 'm').test(out);
}

// A stand-in order server: accepts every delivery.
function orderServer() {
  return new Promise((resolve) => {
    const got = [];
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        got.push(body);
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    srv.listen(0, '127.0.0.1', () => resolve({ srv, got, url: `http://127.0.0.1:${srv.address().port}/orders` }));
  });
}

// echo only with a token (so the widget must fetch one), demo tokens on
async function startStoreGw(name, extra = {}) {
  const groups = {
    gw: { echo_public: false },
    demo: { enabled: true, store: 'demo', dest: ['echo'] },
    stores: [{ id: 'demo', secret: SECRET }],
    ...extra,
  };
  return lib.startGateway(name, groups);
}

async function newCtx(viewport, init) {
  const b = await lib.getBrowser();
  const ctx = await b.newContext({ viewport });
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { ctx, page, errors };
}

const shot = (page, name) => page.screenshot({ path: path.join(lib.OUTDIR, `store-${name}.png`) });
const widget = (page, expr) => page.evaluate(`(() => { const w = storegw.widgets[0]; return ${expr}; })()`);
const status = (page) => widget(page, "w.root.querySelector('.status').textContent + '|' + w.root.querySelector('.alert').textContent");

// data-testid (or tag + label) of the focused element, through shadow roots
function focused(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a || a === document.body) return 'body';
    return a.dataset.testid || `${a.tagName.toLowerCase()}:${a.getAttribute('aria-label') || a.textContent.trim().slice(0, 20)}`;
  });
}

// Basic accessibility checks over the page and its open shadow roots:
// every visible button/link has a name, every input a label, every
// role=img a label, and a polite live region exists.
function a11yProblems(page, needLive = true) {
  return page.evaluate((needLive) => {
    const problems = [];
    const roots = [document];
    for (let i = 0; i < roots.length; i++) {
      roots[i].querySelectorAll('*').forEach((el) => { if (el.shadowRoot) roots.push(el.shadowRoot); });
    }
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    const byId = (root, id) => (root.getElementById ? root.getElementById(id) : root.querySelector(`#${id}`));
    const name = (root, el) => {
      if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
      const lb = el.getAttribute('aria-labelledby');
      if (lb) return lb.split(/\s+/).map((id) => (byId(root, id) || {}).textContent || '').join(' ').trim();
      if (el.labels && el.labels.length) return [...el.labels].map((l) => l.textContent).join(' ').trim();
      return (el.textContent || '').trim();
    };
    let live = 0;
    for (const root of roots) {
      root.querySelectorAll('button, a[href], input, textarea, select, [role=img], [role=dialog]').forEach((el) => {
        if (!visible(el) && el.getAttribute('role') !== 'dialog') return;
        const isField = /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
        const n = isField ? (el.getAttribute('aria-label') || (el.labels && [...el.labels].map((l) => l.textContent).join(' ')) || '').trim()
          : name(root, el);
        if (!n) problems.push(`${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''} has no accessible name`);
      });
      live += root.querySelectorAll('[aria-live=polite], [role=status], [role=log]').length;
    }
    if (needLive && !live) problems.push('no live region');
    return problems;
  }, needLive);
}

async function shopper(label, viewport) {
  const hasOrders = knowsGroup('orders');
  const os = hasOrders ? await orderServer() : null;
  const extra = hasOrders ? { orders: { url: os.url, db: path.join(lib.OUTDIR, `orders-${label}.db`), retry_min_s: 1 } } : {};
  const gw = await startStoreGw(`store-${label}`, extra);
  const { ctx, page, errors } = await newCtx(viewport);
  try {
    // 1. the catalogue
    await page.goto(`${gw.url}/store/`);
    assert(page.url().endsWith('/store/index.html'), `/store/ leads to the catalogue (${page.url()})`);
    await page.locator('[data-testid=product-LAMP-01]').waitFor();
    assert(await page.locator('.grid .card').count() === 6, 'six products');
    await shot(page, `${label}-01-catalogue`);

    // 2. a product page with the widget
    await page.click('[data-testid=product-LAMP-01]');
    await page.waitForURL(/product\.html\?sku=LAMP-01/);
    assert((await page.textContent('h1')).includes('Aurora desk lamp'), 'product name');
    await page.locator('[data-testid=contact]').waitFor();
    await shot(page, `${label}-02-product`);

    // 3. contact -> the choice of chat, audio, video
    await page.click('[data-testid=contact]');
    await page.locator('[data-testid=mode-video]').waitFor();
    await shot(page, `${label}-03-choose`);

    // 4. video: remote video playing, frames decoded
    await page.click('[data-testid=mode-video]');
    await waitFor(() => widget(page, "w.state === 'connected'"), 15000, 'connected');
    await waitFor(() => widget(page, "w.root.querySelector('video.remote').videoWidth > 0 && !w.root.querySelector('video.remote').paused"),
      10000, 'remote video playing');
    await waitFor(async () => (await widget(page, 'w.stats()')).framesDecoded > 30, 10000, 'frames decoded');
    await waitFor(() => widget(page, 'w.quality'), 8000, 'quality indicator');
    const st = await widget(page, 'w.stats()');
    const q = await widget(page, '[w.quality, w.qualityDetail]');
    // the indicator reads getStats; a loaded 2-core CI machine can lose a
    // few packets even on loopback (seen: 3 % -> "fair"), never "poor"
    assert(q[0] === 'good' || q[0] === 'fair', `quality on loopback not poor (${q})`);
    await sleep(500);
    await shot(page, `${label}-04-video`);

    // 5. chat: echo sends the text back into the chat panel
    const text = `Is the lamp dimmable? (${label})`;
    await page.fill('[data-testid=chat-input]', text);
    await page.click('[data-testid=chat-send]');
    await waitFor(() => widget(page, `[...w.root.querySelectorAll('.log li:not(.me)')].some((li) => li.textContent.includes(${JSON.stringify(text)}))`),
      5000, 'the echoed chat in the panel');
    await shot(page, `${label}-05-chat`);

    // mute: the microphone track is disabled and the button says so
    await page.click('[data-testid=mute]');
    assert(await widget(page, "w.root.querySelector('[data-testid=mute]').getAttribute('aria-pressed') === 'true' && w.stream.getAudioTracks().every((t) => !t.enabled)"),
      'muted');
    // switch: echo has one "rep": a clear notice, the call goes on
    await page.click('[data-testid=switch]');
    await waitFor(async () => /Another representative is not available/.test(await status(page)), 5000, 'switch notice');
    assert(await widget(page, "w.state === 'connected'"), 'still connected after switch');
    // a DTMF tone on the keypad
    await page.click('[data-testid=keypad]');
    await page.locator('[data-digit="5"]').click();
    assert(/Sent tone 5/.test(await status(page)), 'tone sent');

    // 6. hang up: the gateway frees the call
    await page.click('[data-testid=hangup]');
    await waitFor(() => widget(page, "w.state === 'ended' && !w.pc"), 3000, 'ended');
    assert(/call has ended/.test(await status(page)), 'ended message');
    await waitFor(async () => JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/calls`)).text).calls.length === 0,
      5000, 'call freed at the gateway');
    await shot(page, `${label}-06-ended`);
    await page.keyboard.press('Escape');
    assert(await widget(page, "w.root.querySelector('.panel').hidden"), 'Escape closed the panel');

    // 7. add to cart
    await page.fill('input[name=qty]', '2');
    await page.click('[data-testid=add-to-cart]');
    assert(/Added 2/.test(await page.textContent('.added')), 'added message');
    assert((await page.textContent('[data-testid=cart-link] .count')) === '2', 'cart count');
    await shot(page, `${label}-07-added`);

    // 8. the order form: a bad e-mail first, then a good order
    await page.click('[data-testid=cart-link]');
    await page.waitForURL(/cart\.html/);
    await page.fill('input[name=name]', 'Ada Lovelace');
    await page.fill('input[name=email]', 'ada-at-example');
    await page.fill('input[name=phone]', '+49 30 1234567');
    await page.fill('textarea[name=address]', 'Unter den Linden 1, 10117 Berlin');
    const result = () => page.textContent('[data-testid=order-result]');
    await page.click('[data-testid=order-submit]');
    await waitFor(async () => { const r = await result(); return r && !/Placing/.test(r); }, 10000, 'order answer');
    let r = await result();
    if (hasOrders) {
      assert(/e-mail|email/i.test(await page.textContent('#err-email')), `field error next to the e-mail (${r})`);
      assert(await page.getAttribute('input[name=email]', 'aria-invalid') === 'true', 'e-mail marked invalid');
      await shot(page, `${label}-08-order-field-error`);
      await page.fill('input[name=email]', 'ada@example.org');
      await page.click('[data-testid=order-submit]');
      await waitFor(async () => /order number/.test(await result()), 10000, 'order number');
      r = await result();
      const id = /order number is (\S+) /.exec(r)[1];
      assert(/^[0-9a-f]{32}$/.test(id), `order id (${r})`);
      // the order names the call and the items
      const list = await lib.httpGet(`${gw.url}/api/v1/admin/orders`).catch(() => null);
      if (list && list.status === 200) assert(list.text.includes(id), 'order in the admin list');
      await waitFor(() => os.got.length > 0, 10000, 'delivered to the order server');
      const sent = JSON.parse(os.got[0]);
      assert(sent.order === id && sent.items[0].sku === 'LAMP-01' && sent.items[0].qty === 2 &&
        sent.customer.name === 'Ada Lovelace', `delivered order (${os.got[0].slice(0, 300)})`);
      assert(sent.call === await widgetCall(page), 'the order names the call');
      assert((await page.textContent('[data-testid=cart-link] .count')) === '0', 'cart emptied');
    } else {
      assert(/not available|refused|could not|order number/.test(r), `a clear answer (${r})`);
    }
    await shot(page, `${label}-09-order`);
    assert(!errors.length, `no page errors: ${errors}`);
    return { frames: st.framesDecoded, quality: q };
  } finally {
    await ctx.close();
    await lib.stopGateway(gw);
    if (os) os.srv.close();
  }
}

function widgetCall(page) {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('storegw:lastcall')).call);
}

async function keyboard() {
  const gw = await startStoreGw('store-kbd');
  const { ctx, page, errors } = await newCtx(VIEWPORTS.desktop);
  try {
    await page.goto(`${gw.url}/store/product.html?sku=MUG-04`);
    await page.locator('[data-testid=contact]').waitFor();
    const order = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      order.push(f);
      if (f === 'contact') break;
    }
    assert(order[order.length - 1] === 'contact', `Tab reaches contact: ${order.join(' > ')}`);
    assert(order.indexOf('add-to-cart') >= 0 && order.indexOf('add-to-cart') < order.indexOf('contact'),
      `page order: ${order.join(' > ')}`);
    await page.keyboard.press('Enter');
    assert(await focused(page) === 'mode-chat', 'focus moves into the panel');
    const inPanel = [];
    for (let i = 0; i < 3; i++) { await page.keyboard.press('Tab'); inPanel.push(await focused(page)); }
    assert(inPanel.join() === 'mode-audio,mode-video,body' || inPanel.slice(0, 2).join() === 'mode-audio,mode-video',
      `focus order in the panel: ${inPanel}`);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    if (await focused(page) !== 'mode-chat') await page.keyboard.press('Shift+Tab');
    assert(await focused(page) === 'mode-chat', `back to chat (${await focused(page)})`);
    await page.keyboard.press(' ');          // Space activates
    await waitFor(() => widget(page, "w.state === 'connected'"), 10000, 'chat connected');
    assert(await focused(page) === 'chat-input', `focus in the chat input (${await focused(page)})`);
    await page.keyboard.type('hello by keyboard');
    await page.keyboard.press('Enter');
    await waitFor(() => widget(page, "[...w.root.querySelectorAll('.log li:not(.me)')].some((li) => li.textContent.includes('hello by keyboard'))"),
      5000, 'echoed chat');
    await shot(page, 'kbd-chat');
    // Escape closes the panel, the call goes on; Enter opens it again
    await page.keyboard.press('Escape');
    assert(await widget(page, "w.root.querySelector('.panel').hidden && w.state === 'connected'"), 'closed, call goes on');
    assert(await focused(page) === 'contact', 'focus back on contact');
    assert(/Return to your call/.test(await widget(page, "w.root.querySelector('[data-testid=contact]').textContent")), 'contact says return');
    await page.keyboard.press('Enter');
    assert(await focused(page) === 'chat-input', `reopened at the chat input (${await focused(page)})`);
    // Shift+Tab back to hang-up, Space
    for (let i = 0; i < 12 && await focused(page) !== 'hangup'; i++) await page.keyboard.press('Shift+Tab');
    assert(await focused(page) === 'hangup', 'hang-up reachable by keyboard');
    await page.keyboard.press(' ');
    await waitFor(() => widget(page, "w.state === 'ended'"), 3000, 'ended by keyboard');
    assert(await focused(page) === 'again', `focus stays in the panel (${await focused(page)})`);
    await page.keyboard.press('Escape');
    assert(await focused(page) === 'contact', 'Escape closes, focus on contact');
    assert(!errors.length, `no page errors: ${errors}`);
  } finally {
    await ctx.close();
    await lib.stopGateway(gw);
  }
}

async function accessibleNames() {
  const gw = await startStoreGw('store-a11y');
  const { ctx, page } = await newCtx(VIEWPORTS.phone);
  try {
    await page.goto(`${gw.url}/store/product.html?sku=WATCH-06`);
    await page.locator('[data-testid=contact]').waitFor();
    let p = await a11yProblems(page);
    assert(!p.length, `product page: ${p.join('; ')}`);
    await page.click('[data-testid=contact]');
    p = await a11yProblems(page);
    assert(!p.length, `mode choice: ${p.join('; ')}`);
    await page.click('[data-testid=mode-video]');
    await waitFor(() => widget(page, "w.state === 'connected'"), 15000, 'connected');
    await page.click('[data-testid=keypad]');
    p = await a11yProblems(page);
    assert(!p.length, `in a video call: ${p.join('; ')}`);
    assert(await widget(page, "w.root.querySelector('.status').getAttribute('aria-live') === 'polite' && w.root.querySelector('.alert').getAttribute('role') === 'alert'"),
      'status live region and alert');
    await page.click('[data-testid=hangup]');
    for (const url of ['/store/index.html', '/store/cart.html']) {
      await page.goto(`${gw.url}${url}`);
      await page.locator('main').waitFor();
      p = await a11yProblems(page, url.includes('cart'));
      assert(!p.length, `${url}: ${p.join('; ')}`);
    }
  } finally {
    await ctx.close();
    await lib.stopGateway(gw);
  }
}

// Every failure the shopper can meet before a call: a clear message.
async function failures() {
  const gw = await startStoreGw('store-fail');
  const closedPort = await lib.freePort();
  const deny = () => { navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError')); };
  const a = await newCtx(VIEWPORTS.phone, deny);
  try {
    const { page } = a;
    const alertText = () => widget(page, "w.root.querySelector('.alert').textContent");
    await page.goto(`${gw.url}/store/product.html?sku=CHAIR-02`);
    await page.click('[data-testid=contact]');
    // permission denied (getUserMedia NotAllowedError)
    await page.click('[data-testid=mode-video]');
    await waitFor(async () => /denied/.test(await alertText()), 5000, 'permission message');
    await shot(page, 'fail-permission');
    // network blocked: the WebSocket cannot connect
    await page.evaluate((port) => {
      document.querySelector('script[src$="storegw.js"]').dataset.gateway = `ws://127.0.0.1:${port}/api/v1/ws`;
    }, closedPort);
    await page.click('[data-testid=again]');
    await page.click('[data-testid=mode-chat]');
    await waitFor(async () => /cannot reach the service/.test(await alertText()), 12000, 'network message');
    await shot(page, 'fail-network');
    // refused by the gateway: no token (echo is not public here)
    await page.evaluate((ws) => {
      const s = document.querySelector('script[src$="storegw.js"]');
      s.dataset.gateway = ws;
      s.dataset.tokenUrl = '/store/no-such-token';
    }, gw.ws);
    await page.click('[data-testid=again]');
    await page.click('[data-testid=mode-chat]');
    await waitFor(async () => /cannot place that call/.test(await alertText()), 5000, 'forbidden message');
    await shot(page, 'fail-forbidden');
    // a destination the demo endpoint does not mint for
    await page.evaluate(() => {
      const s = document.querySelector('script[src$="storegw.js"]');
      s.dataset.tokenUrl = '/store/token?dest=%2B4930123456';
      s.dataset.to = '+4930123456';
    });
    await page.click('[data-testid=again]');
    await page.click('[data-testid=mode-chat]');
    await waitFor(async () => /cannot place that call/.test(await alertText()), 5000, 'forbidden message (dest)');
  } finally {
    await a.ctx.close();
    await lib.stopGateway(gw);
  }
}

// The token endpoint: deny by default, minted tokens verify at the
// gateway (single use), only configured destinations.
async function tokenEndpoint() {
  const off = await lib.startGateway('store-off', { stores: [{ id: 'demo', secret: SECRET }] });
  try {
    let r = await lib.httpGet(`${off.url}/store/token?dest=echo`);
    assert(r.status === 404, `no demo tokens by default (${r.status})`);
    r = await lib.httpGet(`${off.url}/`);
    assert(r.status === 200 && /data-page="catalogue"/.test(r.text), '/ is the demo store');
    r = await lib.httpGet(`${off.url}/echo.html`);
    assert(r.status === 200 && /Call echo/.test(r.text), 'the echo test page at /echo.html');
    r = await lib.httpGet(`${off.url}/storegw.js`);
    assert(r.status === 200 && /javascript/.test(r.headers.get('content-type')), 'the widget');
  } finally {
    await lib.stopGateway(off);
  }
  const gw = await startStoreGw('store-token');
  try {
    let r = await lib.httpGet(`${gw.url}/store/token?dest=echo`);
    assert(r.status === 200 && r.headers.get('cache-control') === 'no-store', `token (${r.status})`);
    const { token } = JSON.parse(r.text);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert(claims.iss === 'demo' && claims.dest.join() === 'echo' && claims.exp - claims.iat === 120 &&
      /^[0-9a-f]{32}$/.test(claims.jti), `claims ${JSON.stringify(claims)}`);
    r = await lib.httpGet(`${gw.url}/store/token?dest=%2B4930123`);
    assert(r.status === 403 && JSON.parse(r.text).error === 'forbidden', `other dest refused (${r.status})`);
    r = await fetch(`${gw.url}/store/token?dest=echo`, { method: 'POST' });
    assert(r.status === 405, `POST refused (${r.status})`);
    const c = await lib.wsClient(gw.ws);
    try {
      c.send({ type: 'call', call: 'a', to: 'echo', media: 'chat', token });
      let m = await c.next();
      assert(m.type === 'connected' && m.call === 'a', `the token is accepted (${JSON.stringify(m)})`);
      c.send({ type: 'call', call: 'b', to: 'echo', media: 'chat', token });
      m = await c.next();
      assert(m.type === 'error' && m.code === 'forbidden', `used once (${JSON.stringify(m)})`);
      c.send({ type: 'call', call: 'c', to: 'echo', media: 'chat' });
      m = await c.next();
      assert(m.type === 'error' && m.code === 'forbidden', `no token, no call (${JSON.stringify(m)})`);
    } finally {
      c.ws.close();
    }
  } finally {
    await lib.stopGateway(gw);
  }
}

// ---- the demo setup with reps (issue 6): gateway + storegw-hub ------------

const REP_COLOURS = { alice: [229, 57, 53], bob: [67, 160, 71], carol: [30, 136, 229] };

// POST text/plain to the hub's control API
function hubPost(port, urlPath, body, type = 'text/plain') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST',
      headers: { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// the mean colour of the rep's video (a 32x24 canvas), and which rep's it is
async function repColour(page) {
  const rgb = await widget(page, `(() => {
    const v = w.root.querySelector('video.remote');
    const c = document.createElement('canvas'); c.width = 32; c.height = 24;
    const g = c.getContext('2d'); g.drawImage(v, 0, 0, 32, 24);
    const d = g.getImageData(0, 0, 32, 24).data; const m = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) { m[0] += d[i]; m[1] += d[i + 1]; m[2] += d[i + 2]; }
    return m.map((x) => Math.round(x / (d.length / 4)));
  })()`);
  let best = null; let bd = Infinity;
  for (const [rep, c] of Object.entries(REP_COLOURS)) {
    const dist = Math.hypot(rgb[0] - c[0], rgb[1] - c[1], rgb[2] - c[2]);
    if (dist < bd) { bd = dist; best = rep; }
  }
  return { rgb, rep: bd < 90 ? best : null };
}

async function demoReps(label, viewport) {
  const { storegwHub, stop } = require('./peers');
  const os = await orderServer();
  const sport = await lib.freePort();
  const s1secret = 'demo-store1-secret-0123456789abcdef-test';
  const gw = await lib.startGateway(`storedemo-${label}`, {
    gw: { echo_public: false },
    showroom: { listen: `127.0.0.1:${sport}`, min_expires: 10, ring_timeout_s: 5 },
    demo: { enabled: true, store: 'store1', dest: ['rep', 'echo'] },
    stores: [{ id: 'store1', secret: s1secret }],
    reps: ['alice', 'bob', 'carol'].map((id) => ({ store: 'store1', id, name: id, password: `${id}pw`, contacts: ['hub'] })),
    orders: { url: os.url, db: path.join(lib.OUTDIR, `orders-storedemo-${label}.db`), retry_min_s: 1 },
  });
  let h = null;
  const { ctx, page, errors } = await newCtx(viewport);
  const name = (n) => `demo-${label}-${n}`;
  try {
    h = await storegwHub(`storedemo-hub-${label}`, `sip:127.0.0.1:${sport}`, [
      { id: 'alice', colour: '#e53935', freq: 440 }, { id: 'bob', colour: '#43a047', freq: 660 },
      { id: 'carol', colour: '#1e88e5', freq: 880 }]);
    const ctl = Number(/127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(path.join(lib.OUTDIR, `storedemo-hub-${label}.conf`), 'utf8'))[1]);
    const adminReps = async () => JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/reps`)).text).reps;
    await waitFor(async () => (await adminReps()).filter((r) => r.registered).length === 3, 10000, 'alice, bob, carol registered');

    // 1. a product page: the widget calls rep:any as store1
    await page.goto(`${gw.url}/store/product.html?sku=CHAIR-02`);
    await page.waitForSelector('body[data-target]');
    assert(await page.getAttribute('body', 'data-target') === 'rep:any', 'the page calls rep:any');
    assert(!(await page.isVisible('[data-testid=selftest]')), 'no echo self-test note with reps');
    assert((await page.textContent('h1')).includes('Fjord lounge chair'), 'product name');
    await page.locator('[data-testid=contact]').waitFor();
    await shot(page, name('01-product'));

    // 2. contact -> the choice
    await page.click('[data-testid=contact]');
    await page.locator('[data-testid=mode-video]').waitFor();
    assert(await page.isVisible('[data-testid=mode-chat]') && await page.isVisible('[data-testid=mode-audio]'),
      'chat, audio and video offered');
    await shot(page, name('02-choose'));

    // 3. video: a rep's picture, in the rep's colour
    await page.click('[data-testid=mode-video]');
    await waitFor(() => widget(page, "w.state === 'connected'"), 15000, 'connected to a rep');
    await waitFor(() => widget(page, "w.root.querySelector('video.remote').videoWidth > 0 && !w.root.querySelector('video.remote').paused"),
      10000, 'rep video playing');
    await waitFor(async () => (await widget(page, 'w.stats()')).framesDecoded > 20, 10000, 'frames decoded');
    const calls = async () => JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/calls`)).text).calls;
    const rep1 = (await calls())[0].rep;
    assert(REP_COLOURS[rep1], `the call is with a hub rep (${rep1})`);
    await waitFor(async () => (await repColour(page)).rep === rep1, 5000, `the video shows ${rep1}'s colour`);
    assert((await status(page)).includes(`Representative: ${rep1}`), `the page names the rep (${await status(page)})`);
    assert(await widget(page, "getComputedStyle(w.root.querySelector('video.remote')).display !== 'none'"), 'remote video shown');
    await sleep(300);
    await shot(page, name('03-video'));

    // 4. chat both ways
    const st0 = await h.status();
    assert(st0.calls.length === 1, `one call at the hub (${JSON.stringify(st0.calls)})`);
    const hubCall = st0.calls[0].id;
    const mine = 'Is the oak frame solid or veneer?';
    await page.fill('[data-testid=chat-input]', mine);
    await page.click('[data-testid=chat-send]');
    await waitFor(async () => (await h.status()).calls[0].messages >= 1, 5000, 'the hub counted the shopper\'s MESSAGE');
    assert(await widget(page, `[...w.root.querySelectorAll('.log li.me')].some((li) => li.textContent.includes(${JSON.stringify(mine)}))`),
      'own chat line shown');
    const theirs = 'Solid oak, I am holding it right now.';
    assert(await hubPost(ctl, `/calls/${hubCall}/chat`, theirs) === 204, 'hub chat API accepted');
    await waitFor(() => widget(page, `[...w.root.querySelectorAll('.log li:not(.me)')].some((li) => li.textContent.includes(${JSON.stringify(theirs)}) && li.textContent.includes(${JSON.stringify(rep1)}))`),
      5000, 'the rep\'s chat line in the panel');
    assert((await h.status()).calls[0].messages_sent === 1, 'hub counted its MESSAGE');
    // the control API refuses what it cannot send
    assert(await hubPost(ctl, '/calls/h999999/chat', 'x') === 404, 'unknown call 404');
    assert(await hubPost(ctl, `/calls/${hubCall}/chat`, '{"a":1}', 'application/json') === 415, 'json 415');
    assert(await hubPost(ctl, `/calls/${hubCall}/chat`, 'x'.repeat(2049)) === 413, '2 KB max');
    assert(await hubPost(ctl, `/calls/${hubCall}/chat`, '') === 400, 'empty 400');
    await shot(page, name('04-chat'));

    // 5. switch: another rep's colour while frames keep decoding
    const f0 = (await widget(page, 'w.stats()')).framesDecoded;
    await page.click('[data-testid=switch]');
    let rep2 = null;
    await waitFor(async () => { const c = await calls(); rep2 = c[0] && c[0].rep; return rep2 && rep2 !== rep1; }, 8000, 'switched at the gateway');
    await waitFor(async () => (await repColour(page)).rep === rep2, 5000, `the video shows ${rep2}'s colour`);
    await waitFor(async () => (await widget(page, 'w.stats()')).framesDecoded > f0 + 15, 5000, 'frames keep decoding');
    assert(await widget(page, "w.state === 'connected'"), 'still connected');
    assert(new RegExp(`now talking to representative ${rep2}`).test(await status(page)), `the page says who now (${await status(page)})`);
    await sleep(300);
    await shot(page, name('05-switched'));

    // 6. hang up
    await page.click('[data-testid=hangup]');
    await waitFor(() => widget(page, "w.state === 'ended' && !w.pc"), 3000, 'ended');
    assert(/call has ended/.test(await status(page)), 'ended message');
    await waitFor(async () => (await calls()).length === 0, 5000, 'call freed at the gateway');
    await waitFor(async () => (await h.status()).calls.every((c) => c.state === 'closed'), 5000, 'call ended at the hub');
    await shot(page, name('06-ended'));

    // 7. the order, as store1, naming the call and both reps
    await page.keyboard.press('Escape');
    await page.fill('input[name=qty]', '1');
    await page.click('[data-testid=add-to-cart]');
    await page.click('[data-testid=cart-link]');
    await page.waitForURL(/cart\.html/);
    await page.fill('input[name=name]', 'Grace Hopper');
    await page.fill('input[name=email]', 'grace@example.org');
    await page.fill('textarea[name=address]', 'Bahnhofstr. 1, 8001 Zurich');
    await shot(page, name('07-cart'));
    await page.click('[data-testid=order-submit]');
    await waitFor(async () => /order number/.test(await page.textContent('[data-testid=order-result]')), 10000, 'order number shown');
    await waitFor(() => os.got.length > 0, 10000, 'delivered to the order server');
    const sent = JSON.parse(os.got[0]);
    assert(sent.store === 'store1' && sent.call === await widgetCall(page) && sent.items[0].sku === 'CHAIR-02',
      `order names store1 and the call (${os.got[0].slice(0, 300)})`);
    assert(Array.isArray(sent.reps) && sent.reps.includes(rep1) && sent.reps.includes(rep2),
      `order names the reps who served (${JSON.stringify(sent.reps)})`);
    await shot(page, name('08-order'));
    assert(!errors.length, `no page errors: ${errors}`);
  } finally {
    await ctx.close();
    await lib.stopGateway(gw);
    if (h) await stop(h);
    os.srv.close();
  }
}

// Without reps: the gateway's built-in defaults (no demo tokens) put the
// pages on the echo self-test and say so; reps configured but no hub
// registered: queued, then "No sales representative is free".
async function demoNoRep() {
  const gws = [];
  const { ctx, page, errors } = await newCtx(VIEWPORTS.phone);
  try {
    gws.push(await lib.startGateway('storedemo-defaults', {}));
    await page.goto(`${gws[0].url}/store/product.html?sku=LAMP-01`);
    await page.waitForSelector('body[data-target]');
    assert(await page.getAttribute('body', 'data-target') === 'echo', 'built-in defaults: echo');
    assert(/echo self-test/.test(await page.textContent('[data-testid=selftest]')) &&
      await page.isVisible('[data-testid=selftest]'), 'the page says it is the echo self-test');
    await page.locator('[data-testid=selftest]').scrollIntoViewIfNeeded();
    await shot(page, 'demo-norep-01-defaults');

    const sport = await lib.freePort();
    gws.push(await lib.startGateway('storedemo-nohub', {
      showroom: { listen: `127.0.0.1:${sport}`, queue_max_wait_s: 2 },
      demo: { enabled: true, store: 'store1', dest: ['rep'] },
      stores: [{ id: 'store1', secret: 'demo-store1-secret-0123456789abcdef-test' }],
      reps: [{ store: 'store1', id: 'alice', name: 'Alice', password: 'alicepw', contacts: ['hub'] }],
    }));
    await page.goto(`${gws[1].url}/store/product.html?sku=LAMP-01`);
    await page.waitForSelector('body[data-target]');
    assert(await page.getAttribute('body', 'data-target') === 'rep:any' &&
      !(await page.isVisible('[data-testid=selftest]')), 'reps configured: rep:any');
    await page.click('[data-testid=contact]');
    await page.click('[data-testid=mode-audio]');
    await waitFor(async () => /queue/.test(await status(page)), 5000, 'queued message');
    await shot(page, 'demo-norep-02-queued');
    await waitFor(async () => /No sales representative is free right now/.test(await status(page)), 6000,
      'the no-rep message');
    assert(await widget(page, "w.state === 'ended'"), 'ended');
    await shot(page, 'demo-norep-03-no-rep');
    // a chat on its own to a rep is routed like a call: queued, then no rep
    await page.click('.again');
    await page.click('[data-testid=mode-chat]');
    await waitFor(async () => /queue/.test(await status(page)), 5000, 'chat-only: queued message');
    await waitFor(async () => /No sales representative is free right now/.test(await status(page)), 6000,
      'chat-only: the no-rep message');
    await shot(page, 'demo-norep-04-chat-only');
    assert(!errors.length, `no page errors: ${errors}`);
  } finally {
    await ctx.close();
    for (const g of gws) await lib.stopGateway(g);
  }
}

// Chat mode with a rep (issue 6): the widget's chat-only call reaches a
// hub rep as SIP MESSAGE (the hub counts them), no camera or microphone.
async function chatOnlyWidget() {
  const { storegwHub, stop } = require('./peers');
  const sport = await lib.freePort();
  const gw = await lib.startGateway('storedemo-chatonly', {
    showroom: { listen: `127.0.0.1:${sport}`, min_expires: 10 },
    demo: { enabled: true, store: 'store1', dest: ['rep'] },
    stores: [{ id: 'store1', secret: 'demo-store1-secret-0123456789abcdef-test' }],
    reps: [{ store: 'store1', id: 'alice', name: 'Alice', password: 'alicepw', contacts: ['hub'] }],
  });
  let h = null;
  const { ctx, page, errors } = await newCtx(VIEWPORTS.phone);
  try {
    h = await storegwHub('storedemo-chatonly-hub', `sip:127.0.0.1:${sport}`, [{ id: 'alice' }]);
    await waitFor(async () => JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/reps`)).text)
      .reps.some((r) => r.registered), 10000, 'alice registered');
    const msgs = async () => (await h.status()).reps[0].messages;
    const m0 = await msgs();
    await page.goto(`${gw.url}/store/product.html?sku=LAMP-01`);
    await page.waitForSelector('body[data-target]');
    await page.click('[data-testid=contact]');
    await page.click('[data-testid=mode-chat]');
    await waitFor(async () => /Type your question below\. Representative: alice/.test(await status(page)), 10000,
      'chat-only connected to alice');
    assert(!/not available/.test(await status(page)), 'no "not available" message');
    assert(!(await page.isVisible('[data-testid=switch]')), 'no switch on a chat-only call');
    await page.fill('[data-testid=chat-input]', 'Is the lamp dimmable?');
    await page.click('[data-testid=chat-send]');
    await waitFor(async () => (await msgs()) >= m0 + 2, 5000, 'the hub counted the opening line and the shopper\'s');
    await shot(page, 'chat-only-connected');
    await page.click('[data-testid=hangup]');
    await waitFor(async () => JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/reps`)).text)
      .reps[0].state === 'available', 5000, 'alice free again');
    assert(!errors.length, `no page errors: ${errors}`);
  } finally {
    await ctx.close();
    await lib.stopGateway(gw);
    if (h) await stop(h);
  }
}

module.exports = [
  { name: 'chat_only_widget', fn: chatOnlyWidget, timeout: 60000 },
  { name: 'token_endpoint', fn: tokenEndpoint },
  { name: 'shopper_phone', fn: () => shopper('phone', VIEWPORTS.phone), timeout: 120000 },
  { name: 'shopper_desktop', fn: () => shopper('desktop', VIEWPORTS.desktop), timeout: 120000 },
  { name: 'keyboard', fn: keyboard, timeout: 90000 },
  { name: 'accessible_names', fn: accessibleNames, timeout: 90000 },
  { name: 'failures', fn: failures, timeout: 90000 },
  { name: 'demo_no_rep', fn: demoNoRep, timeout: 60000 },
  { name: 'demo_reps_phone', fn: () => demoReps('phone', VIEWPORTS.phone), timeout: 120000 },
  { name: 'demo_reps_desktop', fn: () => demoReps('desktop', VIEWPORTS.desktop), timeout: 120000 },
];
