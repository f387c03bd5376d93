// The showroom (issue 5): the gateway is the registrar of a store's
// showroom domain. A real SIP endpoint (baresip) registers as rep
// alice@store1 over TCP or UDP with digest credentials; headless Chromium
// calls rep:alice and gets the rep's video and audio through the gateway.
'use strict';
const lib = require('./lib');
const { stopGateway, newPage, assert, waitFor, freePort, sleep } = lib;
const { baresip, stop, token, storegwHub } = require('./peers');

const SECRET = 'store1-signing-secret-0123456789abcdef012345';

// storegw with a showroom on a free port and reps alice, bob (hub) of
// store1; resolves when it listens.
async function showroomGateway(name, extra = {}) {
  const sport = await freePort();
  const pmin = 35000 + (process.pid % 100) * 40; const pmax = pmin + 39;
  const gw = await lib.startGateway(name, {
    sip: { media_addr: '127.0.0.1', rtp_port_min: pmin, rtp_port_max: pmax },
    showroom: { listen: `127.0.0.1:${sport}`, min_expires: 10, ...(extra.showroom || {}) },
    stores: [{ id: 'store1', secret: SECRET }],
    reps: (extra.reps || ['alice', 'bob']).map((id) => ({ store: 'store1', id,
      name: id[0].toUpperCase() + id.slice(1), password: `${id}pw`, contacts: ['hub'] })),
  });
  gw.sport = sport;
  return gw;
}

// baresip registering as a rep with the gateway's showroom
function rep(name, gw, user, password, tp, opts = {}) {
  return baresip(name, { uri: `sip:127.0.0.1:${gw.sport};transport=${tp}` }, user, password,
    { domain: 'store1', regint: 60, ...opts });
}

async function reps(gw) {
  const { text } = await lib.httpGet(`${gw.url}/api/v1/admin/reps`);
  return JSON.parse(text).reps;
}
const regOf = async (gw, id) => (await reps(gw)).find((r) => r.id === id);

// baresip prints RTP statistics when a call ends (rtp_stats yes)
function rtpStats(phone) {
  const text = phone.out;
  const a = /audio\s+Transmit:\s+Receive:\s*\npackets:\s+(\d+)\s+(\d+)/.exec(text);
  const v = /video\s+Transmit:\s+Receive:\s*\npackets:\s+(\d+)\s+(\d+)/.exec(text);
  return a && v ? { audio: Number(a[2]), video: Number(v[2]) } : null;
}

const tok = (dest) => token({ iss: 'store1', dest }, SECRET);

async function callRep() {
  let gw; let alice; let pg;
  try {
    gw = await showroomGateway('showroom-call');
    alice = await rep('alice', gw, 'alice', 'alicepw', 'tcp', { contact: 'sip:storegw@store1' });
    await waitFor(async () => (await regOf(gw, 'alice')).registered, 5000,
      'alice registered at the gateway');
    const r = await regOf(gw, 'alice');
    assert(r.transport === 'TCP' && r.name === 'Alice' && !('password' in r),
      `admin/reps shows alice over TCP, no password (${JSON.stringify(r)})`);
    assert(!(await regOf(gw, 'bob')).registered, 'bob is not registered');
    const m0 = await lib.metrics(gw);
    assert(m0.showroom_registrations_total >= 1 && m0.showroom_bindings === 1,
      `registration counted (${JSON.stringify(m0)})`);

    pg = await newPage(gw);
    const { page } = pg;
    await page.evaluate(async ([ws, t]) => {
      window.c1 = await sg.open(ws);
      await sg.callWith(window.c1, 'r1', 'rep:alice', { token: t });
      await sg.next(window.c1, (m) => m.type === 'connected', 15000);
    }, [gw.ws, tok(['rep:alice'])]);
    const st = await waitFor(async () => {
      const s = await page.evaluate(() => sg.stats('r1'));
      return s.video.framesDecoded > 50 && s.audio.packetsReceived > 150 ? s : null;
    }, 20000, 'video frames and audio from the rep in the browser');
    console.log(`    browser: ${st.video.framesDecoded} frames decoded, ` +
      `${st.audio.packetsReceived} audio packets from the rep`);

    const { text } = await lib.httpGet(`${gw.url}/api/v1/admin/calls`);
    const call = JSON.parse(text).calls[0];
    assert(call && call.to === 'rep:alice' && call.rep === 'alice' &&
      JSON.stringify(call.reps) === '["alice"]', `the call record names alice (${text})`);

    // chat toward the rep: MESSAGE in the dialog
    await page.evaluate(() => window.c1.ws.send(JSON.stringify(
      { type: 'chat', call: 'r1', text: 'do you have it in red?' })));
    await alice.wait(/"do you have it in red\?"/, 5000, 'the chat line at the rep');
    // and back: the rep's MESSAGE (baresip sends it outside the dialog)
    alice.ctrl.command('message', 'yes, in red too');
    const chat = await page.evaluate(() => sg.next(window.c1, (m) => m.type === 'chat', 5000));
    assert(chat.text === 'yes, in red too' && chat.call === 'r1', `chat from the rep (${JSON.stringify(chat)})`);

    await page.evaluate(() => sg.hangup(window.c1, 'r1'));
    const rx = await waitFor(() => rtpStats(alice), 5000, 'the rep\'s RTP statistics');
    console.log(`    rep received ${rx.audio} audio and ${rx.video} video RTP packets`);
    assert(rx.audio > 150 && rx.video > 50, `RTP reached the rep (${JSON.stringify(rx)})`);
    await waitFor(async () => (await lib.metrics(gw)).calls_active === 0, 5000, 'call freed');

    // a rep who is not registered: hangup no-rep (or, with gw/router.c,
    // queued until bob registers); a token for alice only does not reach bob
    const h = await page.evaluate(async (t) => {
      const c = window.c1;
      c.ws.send(JSON.stringify({ type: 'call', call: 'r2', to: 'rep:bob', token: t,
        media: 'audio', sdp: (await (async () => {
          const pc = new RTCPeerConnection(); pc.addTransceiver('audio');
          const o = await pc.createOffer(); pc.close(); return o.sdp; })()) }));
      return sg.next(c, (m) => m.call === 'r2' && ['hangup', 'error', 'queued'].includes(m.type),
        10000);
    }, tok(['rep']));
    assert((h.type === 'hangup' && h.reason === 'no-rep') || h.type === 'queued',
      `bob is not reached (${JSON.stringify(h)})`);
    if (h.type === 'queued') {
      await page.evaluate(() => window.c1.ws.send(JSON.stringify({ type: 'hangup', call: 'r2' })));
    }
    const e = await page.evaluate(async (t) => {
      const c = window.c1;
      c.ws.send(JSON.stringify({ type: 'call', call: 'r3', to: 'rep:bob', token: t,
        media: 'audio', sdp: 'v=0\r\n' }));
      return sg.next(c, (m) => m.call === 'r3', 10000);
    }, tok(['rep:alice']));
    assert(e.type === 'error' && e.code === 'forbidden', `token for alice only (${JSON.stringify(e)})`);

    // the rep's process dies: its TCP flow closes, the binding goes at once
    const t0 = Date.now();
    alice.proc.kill('SIGKILL');
    await waitFor(async () => !(await regOf(gw, 'alice')).registered, 2000,
      'alice unregistered within 2 s of her TCP connection closing');
    console.log(`    TCP flow closed: unregistered after ${Date.now() - t0} ms`);
    assert((await lib.metrics(gw)).showroom_bindings === 0, 'no binding left');
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    if (alice) { alice.ctrl.close(); await stop(alice); }
  }
}

async function refusedAndUdp() {
  let gw; let bad; let udp;
  try {
    gw = await showroomGateway('showroom-reg');
    // wrong password: 403 after the digest, counted, never registered
    bad = await rep('badpw', gw, 'alice', 'not-the-password', 'tcp', { registered: false });
    await waitFor(async () => (await lib.metrics(gw)).showroom_auth_failed_total >= 1, 5000,
      'the failed digest counted in /metrics');
    await sleep(300);
    assert(!(await regOf(gw, 'alice')).registered, 'a wrong password registers nothing');
    assert(!/not-the-password|alicepw/.test(gw.log()), 'no password in the log');
    bad.ctrl.close(); await stop(bad); bad = null;

    // RFC 5626 4.4.1: a double-CRLF ping over TCP gets a CRLF pong
    const pong = await new Promise((resolve, reject) => {
      const sock = require('net').connect(gw.sport, '127.0.0.1', () => sock.write('\r\n\r\n'));
      const t = setTimeout(() => { sock.destroy(); resolve(null); }, 2000);
      sock.on('data', (d) => { clearTimeout(t); sock.destroy(); resolve(d.toString()); });
      sock.on('error', reject);
    });
    assert(pong === '\r\n', `CRLF pong (${JSON.stringify(pong)})`);

    // UDP: no connection to watch; the binding lasts until it expires
    udp = await rep('udp', gw, 'bob', 'bobpw', 'udp', { regint: 10 });
    await waitFor(async () => (await regOf(gw, 'bob')).registered, 5000, 'bob registered (UDP)');
    assert((await regOf(gw, 'bob')).transport === 'UDP', 'bob over UDP');
    const t0 = Date.now();
    udp.proc.kill('SIGKILL');
    await sleep(2000);
    assert((await regOf(gw, 'bob')).registered, 'a UDP binding outlives its endpoint until expiry');
    await waitFor(async () => !(await regOf(gw, 'bob')).registered, 15000,
      'bob unregistered when the binding expired');
    console.log(`    UDP: unregistered ${Date.now() - t0} ms after the kill (Expires 10)`);
  } finally {
    if (gw) await stopGateway(gw);
    for (const p of [bad, udp]) if (p) { p.ctrl.close(); await stop(p); }
  }
}

// the mean colour of the call's <video> (r, g, b 0..255), sampled via a canvas
const meanColour = (page) => page.evaluate(() => {
  const v = [...document.querySelectorAll('video')].pop();
  if (!v || !v.videoWidth) return null;
  const c = document.createElement('canvas');
  c.width = 64; c.height = 48;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0, 64, 48);
  const d = g.getImageData(0, 0, 64, 48).data;
  const m = [0, 0, 0];
  for (let i = 0; i < d.length; i += 4) { m[0] += d[i]; m[1] += d[i + 1]; m[2] += d[i + 2]; }
  return m.map((x) => Math.round(x / (d.length / 4)));
});
const greenish = (m) => m && m[1] > m[0] + 30 && m[1] > m[2] + 30;   // bob #43a047
const blueish = (m) => m && m[2] > m[0] + 60 && m[2] > m[1] + 30;    // carol #1e88e5

// storegw-hub (hub/) registers three synthetic reps with the gateway over
// TCP; the browser calls rep:bob and switches to carol: the hub switches
// its source (no new SDP), the video keeps decoding.
async function hubSwitch() {
  let gw; let hub; let pg;
  try {
    gw = await showroomGateway('showroom-hub', { reps: ['alice', 'bob', 'carol'] });
    hub = await storegwHub('hub', `sip:127.0.0.1:${gw.sport}`, [
      { id: 'alice', colour: '#e53935', freq: 440 }, { id: 'bob', colour: '#43a047', freq: 660 },
      { id: 'carol', colour: '#1e88e5', freq: 880 }]);
    await waitFor(async () => (await reps(gw)).filter((r) => r.registered).length === 3,
      10000, 'the hub\'s three reps registered at the gateway');

    pg = await newPage(gw);
    const { page } = pg;
    await page.evaluate(async ([ws, t]) => {
      window.c1 = await sg.open(ws);
      await sg.callWith(window.c1, 'h1', 'rep:bob', { token: t });
      await sg.next(window.c1, (m) => m.type === 'connected', 15000);
    }, [gw.ws, tok(['rep'])]);
    const f0 = (await waitFor(async () => {
      const s = await page.evaluate(() => sg.stats('h1'));
      return s.video.framesDecoded > 30 ? s : null;
    }, 20000, 'bob\'s video decoded in the browser')).video.framesDecoded;
    let st = await hub.status();
    assert(st.calls.length === 1 && st.calls[0].rep === 'bob', `the hub serves bob (${JSON.stringify(st.calls)})`);
    const c0 = await waitFor(async () => { const m = await meanColour(page); return greenish(m) && m; },
      5000, 'bob\'s green in the received video');

    await page.evaluate(() => window.c1.ws.send(JSON.stringify(
      { type: 'switch', call: 'h1', rep: 'carol' })));
    st = await waitFor(async () => {
      const s = await hub.status();
      return s.calls.length === 1 && s.calls[0].video.switches >= 1 ? s : null;
    }, 5000, 'the hub switched the call\'s source');
    const f1 = (await page.evaluate(() => sg.stats('h1'))).video.framesDecoded;
    const t1 = Date.now();
    const c1 = await waitFor(async () => { const m = await meanColour(page); return blueish(m) && m; },
      2000, 'carol\'s blue in the received video within 2 s of the switch');
    console.log(`    colour ${c0} (bob) -> ${c1} (carol) after ${Date.now() - t1} ms`);
    await sleep(2000);
    const f2 = (await page.evaluate(() => sg.stats('h1'))).video.framesDecoded;
    console.log(`    frames decoded: ${f0} before, ${f1} at, ${f2} 2 s after the switch ` +
      `(hub: rep ${st.calls[0].rep}, switches ${st.calls[0].video.switches})`);
    assert(f2 > f1 + 10, 'video keeps decoding after the switch');
    const sdpMsgs = await page.evaluate(() => window.c1.msgs
      .filter((m) => m.sdp || m.type === 'answer' || m.type === 'reoffer'));
    assert(sdpMsgs.length === 0, `no new SDP to the browser for the switch (${JSON.stringify(sdpMsgs)})`);
    const { text } = await lib.httpGet(`${gw.url}/api/v1/admin/calls`);
    const call = JSON.parse(text).calls[0];
    assert(call.rep === 'carol' && JSON.stringify(call.reps) === '["bob","carol"]',
      `the call record lists bob and carol (${text})`);

    // the hub process dies: its reps are unregistered at once (TCP)
    const t0 = Date.now();
    hub.proc.kill('SIGKILL');
    await waitFor(async () => (await reps(gw)).every((r) => !r.registered), 2000,
      'the hub\'s reps unregistered within 2 s');
    console.log(`    hub killed: reps unregistered after ${Date.now() - t0} ms`);
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    if (hub) await stop(hub);
  }
}

// the next message of a wsClient that matches pred (others skipped)
async function nextOf(c, pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    assert(left > 0, `no ${what} in time`);
    const m = await c.next(left).catch(() => null);
    assert(m, `no ${what} in time`);
    if (pred(m)) return m;
  }
}

const repState = async (gw, id) => (await regOf(gw, id)).state;

// Chat-only to a rep (issue 6): routed like a call (the rep is busy), no
// media: the gateway sends the shopper's lines as out-of-dialog MESSAGE
// (RFC 3428 pager mode) to the rep's registered contact over its flow;
// the first 2xx answers. The hub counts them; a baresip rep answers back.
async function chatOnly() {
  let gw; let hub; let alice; let c;
  try {
    gw = await showroomGateway('showroom-chat', { reps: ['alice', 'bob'] });
    hub = await storegwHub('hub-chat', `sip:127.0.0.1:${gw.sport}`, [{ id: 'bob' }]);
    await waitFor(async () => (await regOf(gw, 'bob')).registered, 10000,
      'the hub\'s bob registered at the gateway');
    const msgs = async () => (await hub.status()).reps.find((r) => r.id === 'bob').messages;
    const m0 = await msgs();

    c = await lib.wsClient(gw.ws);
    c.send({ type: 'call', call: 'c1', to: 'rep:any', media: 'chat', token: tok(['rep']) });
    const con = await nextOf(c, (m) => m.call === 'c1' && ['connected', 'hangup', 'error'].includes(m.type),
      10000, 'answer of the chat-only call');
    assert(con.type === 'connected' && con.rep === 'bob', `chat-only: connected to bob (${JSON.stringify(con)})`);
    assert(await repState(gw, 'bob') === 'busy', 'bob is busy while chatting');
    await waitFor(async () => (await msgs()) >= m0 + 1, 3000, 'the hub counted the first MESSAGE');
    c.send({ type: 'chat', call: 'c1', text: 'is the lamp in stock?' });
    await waitFor(async () => (await msgs()) >= m0 + 2, 3000, 'the hub counted the shopper\'s line');
    // lines typed quickly are in flight together, none lost
    for (const t of ['in red?', 'or blue?', 'thanks']) c.send({ type: 'chat', call: 'c1', text: t });
    await waitFor(async () => (await msgs()) === m0 + 5, 3000, 'the hub counted three quick lines');
    // the hub rep answers out of dialog over its registration (POST /reps/<id>/chat)
    const post = (p, body) => new Promise((res, rej) => {
      const r = require('http').request(`${hub.url}${p}`, { method: 'POST',
        headers: { 'Content-Type': 'text/plain' } }, (x) => { x.resume(); res(x.statusCode); });
      r.on('error', rej); r.end(body);
    });
    assert(await post('/reps/bob/chat', 'yes, in stock') === 204, 'hub rep chat API: 204');
    const bchat = await nextOf(c, (m) => m.call === 'c1' && m.type === 'chat', 5000, 'chat from bob');
    assert(bchat.text === 'yes, in stock' && bchat.from === 'bob', `chat from bob (${JSON.stringify(bchat)})`);
    assert(await post('/reps/carol/chat', 'x') === 404 && await post('/reps/bob/chat', '') === 400,
      'hub rep chat API: unknown rep 404, empty 400');
    assert((await hub.status()).reps.find((r) => r.id === 'bob').messages_sent === 1, 'bob: messages_sent 1');
    // another chat-only shopper while bob chats: alice is offline, queued
    c.send({ type: 'call', call: 'c2', to: 'rep:any', media: 'chat', token: tok(['rep']) });
    const q = await nextOf(c, (m) => m.call === 'c2', 5000, 'the second shopper\'s answer');
    assert(q.type === 'queued' && q.position === 1, `second chat queued (${JSON.stringify(q)})`);
    c.send({ type: 'hangup', call: 'c2' });
    c.send({ type: 'hangup', call: 'c1' });
    await waitFor(async () => (await repState(gw, 'bob')) === 'available', 5000,
      'bob available again after the hangup');
    await waitFor(async () => (await lib.metrics(gw)).calls_active === 0, 5000, 'calls freed');

    // a baresip rep: the lines reach it, its MESSAGE comes back as chat
    alice = await rep('alice', gw, 'alice', 'alicepw', 'tcp', { contact: 'sip:storegw@store1' });
    await waitFor(async () => (await regOf(gw, 'alice')).registered, 5000, 'alice registered');
    c.send({ type: 'call', call: 'c3', to: 'rep:alice', media: 'chat', token: tok(['rep']) });
    const con3 = await nextOf(c, (m) => m.call === 'c3' && ['connected', 'hangup', 'error'].includes(m.type),
      10000, 'answer of the chat to alice');
    assert(con3.type === 'connected' && con3.rep === 'alice', `connected to alice (${JSON.stringify(con3)})`);
    await alice.wait(/a shopper wants to chat/, 5000, 'the opening line at alice');
    c.send({ type: 'chat', call: 'c3', text: 'do you have it in red?' });
    await alice.wait(/do you have it in red\?/, 5000, 'the shopper\'s line at alice');
    alice.ctrl.command('message', 'yes, in red too');
    const chat = await nextOf(c, (m) => m.call === 'c3' && m.type === 'chat', 5000, 'chat from alice');
    assert(chat.text === 'yes, in red too' && chat.from === 'alice', `chat from alice (${JSON.stringify(chat)})`);
    c.send({ type: 'hangup', call: 'c3' });
    await waitFor(async () => (await repState(gw, 'alice')) === 'available', 5000,
      'alice available again');
  } finally {
    if (c) c.ws.close();
    if (gw) await stopGateway(gw);
    if (hub) await stop(hub);
    if (alice) { alice.ctrl.close(); await stop(alice); }
  }
}

module.exports = [
  { name: 'chat_only', fn: chatOnly, timeout: 90000 },
  { name: 'call_rep', fn: callRep, timeout: 90000 },
  { name: 'register', fn: refusedAndUdp, timeout: 90000 },
  { name: 'hub_switch', fn: hubSwitch, timeout: 90000 },
];
