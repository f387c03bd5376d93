// The showroom (issue 5): the gateway is the registrar of a store's
// showroom domain. A real SIP endpoint (baresip) registers as rep
// alice@store1 over TCP or UDP with digest credentials; headless Chromium
// calls rep:alice and gets the rep's video and audio through the gateway.
'use strict';
const lib = require('./lib');
const { stopGateway, newPage, assert, waitFor, freePort, sleep } = lib;
const { baresip, stop, token } = require('./peers');

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
    reps: [
      { store: 'store1', id: 'alice', name: 'Alice', password: 'alicepw', contacts: ['hub'] },
      { store: 'store1', id: 'bob', name: 'Bob', password: 'bobpw', contacts: ['hub'] },
    ],
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
    alice = await rep('alice', gw, 'alice', 'alicepw', 'tcp');
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

    await page.evaluate(() => sg.hangup(window.c1, 'r1'));
    const rx = await waitFor(() => rtpStats(alice), 5000, 'the rep\'s RTP statistics');
    console.log(`    rep received ${rx.audio} audio and ${rx.video} video RTP packets`);
    assert(rx.audio > 150 && rx.video > 50, `RTP reached the rep (${JSON.stringify(rx)})`);
    await waitFor(async () => (await lib.metrics(gw)).calls_active === 0, 5000, 'call freed');

    // a rep who is not registered: hangup no-rep; a token for alice only
    // does not reach bob
    const h = await page.evaluate(async (t) => {
      const c = window.c1;
      c.ws.send(JSON.stringify({ type: 'call', call: 'r2', to: 'rep:bob', token: t,
        media: 'audio', sdp: (await (async () => {
          const pc = new RTCPeerConnection(); pc.addTransceiver('audio');
          const o = await pc.createOffer(); pc.close(); return o.sdp; })()) }));
      return sg.next(c, (m) => m.call === 'r2' && (m.type === 'hangup' || m.type === 'error'), 10000);
    }, tok(['rep']));
    assert(h.type === 'hangup' && h.reason === 'no-rep', `no-rep for bob (${JSON.stringify(h)})`);
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

module.exports = [
  { name: 'call_rep', fn: callRep, timeout: 90000 },
  { name: 'register', fn: refusedAndUdp, timeout: 90000 },
];
